import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ReplayFilter } from '../core/replay.js';
import { dynamoClient } from './aws.js';

/** A failed delivery as the index names it. */
export interface FailedDeliveryRef {
  messageId: string;
  integrationId: string;
  round?: number;
}

/** Where a walk of the index stopped: DynamoDB's LastEvaluatedKey, kept on the job item. */
export type IndexPosition = Record<string, string>;

/** The most integrations one filter names: DynamoDB's limit on the operands of IN. */
export const MAX_FILTER_INTEGRATIONS = 100;

/** Spans of time a count reads at once. */
const COUNT_SEGMENTS = 8;

/**
 * The failed deliveries of a window, oldest message first, from the message log's byDeliveryStatus
 * index (partition `failed`, sort key logAt = the message's receivedAt#id): a Query bounded by the
 * window, so its cost follows the failed deliveries of the window (all of them: an integration or
 * receiver filter is applied to what the window reads), never the table. Pull deliveries wait in
 * their inbox and are not restarted, so they never match.
 */
export class FailedDeliveries {
  constructor(private readonly table: string) {}

  /** The Query of the window from `since` to `upTo` (a logAt, inclusive). */
  private query(f: ReplayFilter, since = f.since, upTo = `${f.until}#~`): QueryCommandInput {
    const ids = f.integrationIds ?? [];
    if (ids.length > MAX_FILTER_INTEGRATIONS) throw new Error('Too many integrations in one filter.');
    const values: Record<string, unknown> = {
      ':failed': 'failed',
      ':since': since,
      // logAt is `receivedAt#id`: `~` sorts after every id, so `until` itself is included.
      ':until': upTo,
      ':pull': 'pull',
    };
    ids.forEach((id, i) => {
      values[`:i${i}`] = id;
    });
    return {
      TableName: this.table,
      IndexName: 'byDeliveryStatus',
      KeyConditionExpression: '#s = :failed AND logAt BETWEEN :since AND :until',
      FilterExpression: `#m <> :pull${f.integrationIds ? ` AND integrationId IN (${ids.map((_, i) => `:i${i}`).join(', ')})` : ''}`,
      ExpressionAttributeNames: { '#s': 'status', '#m': 'mode' },
      ExpressionAttributeValues: values,
      ScanIndexForward: true,
    };
  }

  /**
   * How many failed deliveries the filter matches: DynamoDB counts every page of the window. The
   * window is cut into COUNT_SEGMENTS spans of time counted at once, so a large replay (100,000
   * deliveries are some hundred 1 MB pages) is counted in a fraction of the time one walk takes.
   */
  async count(f: ReplayFilter): Promise<number> {
    if (f.integrationIds?.length === 0) return 0;
    const from = Date.parse(f.since);
    const span = Math.floor((Date.parse(f.until) - from) / COUNT_SEGMENTS);
    const spans =
      span < 1
        ? [{ since: f.since, upTo: `${f.until}#~` }]
        : Array.from({ length: COUNT_SEGMENTS }, (_, i) => ({
            since: new Date(from + i * span).toISOString(),
            // Each span ends 1 ms before the next begins (times are kept to the ms); the last at until.
            upTo:
              i === COUNT_SEGMENTS - 1
                ? `${f.until}#~`
                : `${new Date(from + (i + 1) * span - 1).toISOString()}#~`,
          }));
    const counts = await Promise.all(spans.map((s) => this.countSpan(this.query(f, s.since, s.upTo))));
    return counts.reduce((a, b) => a + b, 0);
  }

  private async countSpan(input: QueryCommandInput): Promise<number> {
    let n = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const r = await dynamoClient().send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey }));
      n += r.Count ?? 0;
      ExclusiveStartKey = r.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return n;
  }

  /** One page of at most `limit` index entries from `after`; `next` is absent when the window is spent. */
  async page(
    f: ReplayFilter,
    after: IndexPosition | undefined,
    limit: number,
  ): Promise<{ items: FailedDeliveryRef[]; next?: IndexPosition }> {
    if (f.integrationIds?.length === 0) return { items: [] };
    const r = await dynamoClient().send(
      new QueryCommand({
        ...this.query(f),
        Limit: limit,
        ...(after ? { ExclusiveStartKey: after } : {}),
      }),
    );
    const items = (r.Items ?? []).map((i) => ({
      messageId: String(i.pk).slice('MSG#'.length),
      integrationId: String(i.integrationId),
      ...(typeof i.round === 'number' ? { round: i.round } : {}),
    }));
    const next = r.LastEvaluatedKey as IndexPosition | undefined;
    return { items, ...(next ? { next } : {}) };
  }
}
