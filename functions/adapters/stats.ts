import { AsyncLocalStorage } from 'node:async_hooks';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type DeliveryOutcome, type HourCounts, hourOf, STATS_RETENTION_DAYS } from '../core/stats.js';
import { logger } from '../observability.js';
import { dynamoClient } from './aws.js';
import { queryAll } from './dynamo.js';

/**
 * The hourly counters of GET /admin/stats, in the messages table: one partition per day
 * (`STATS#<yyyy-mm-dd>`), a few items per hour for accepted messages (`<hh>#*#<shard>`) and one per hour and
 * integration for ended deliveries (`<hh>#I#<integrationId>`), each bumped by one atomic ADD where
 * the event happens, and kept STATS_RETENTION_DAYS. A window of d days reads d partitions of at most
 * 24 × (ACCEPTED_SHARDS + active integrations) small items. An integration's hour is one item, which
 * DynamoDB serves up to about 1,000 writes a second: more than one integration's deliveries reach.
 */
/** How many items share an hour's accepted count. */
const ACCEPTED_SHARDS = 8;

/** What one invocation's ended deliveries add to one integration's hour. */
interface GatheredHour {
  at: number;
  integrationId: string;
  delivered: number;
  failed: number;
  lastSuccessAt?: number;
  lastFailureAt?: number;
}

/** The ended deliveries of the invocation running in this async context (see `gatherEnded`). */
const gathering = new AsyncLocalStorage<Map<string, GatheredHour>>();

export class DeliveryStats {
  constructor(private readonly table: string) {}

  /**
   * Runs `work` and counts the deliveries it ends with one write per integration and hour at its
   * end, instead of one per delivery: a delivery worker's batch of ten jobs of one integration costs
   * one write unit, not ten. The counts are written when `work` ends, thrown or not; a write that
   * fails is logged (statistics never fail the work they count), and only those counts are lost.
   */
  async gatherEnded<T>(work: () => Promise<T>): Promise<T> {
    const gathered = new Map<string, GatheredHour>();
    try {
      return await gathering.run(gathered, work);
    } finally {
      await Promise.all(
        [...gathered.values()].map((h) =>
          this.writeHour(h).catch((e: unknown) =>
            logger.warn('a statistics counter was not updated', { error: e as Error }),
          ),
        ),
      );
    }
  }

  private writeHour(h: GatheredHour) {
    const adds: string[] = [];
    const sets = ['integrationId = :i'];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':i': h.integrationId };
    for (const [outcome, n, last, lastAt] of [
      ['delivered', h.delivered, 'lastSuccessAt', h.lastSuccessAt],
      ['failed', h.failed, 'lastFailureAt', h.lastFailureAt],
    ] as const) {
      if (n === 0 || lastAt === undefined) continue;
      adds.push(`#${outcome} :${outcome}`);
      names[`#${outcome}`] = outcome;
      values[`:${outcome}`] = n;
      sets.push(`${last} = :${last}`);
      values[`:${last}`] = new Date(lastAt).toISOString();
    }
    const day = new Date(h.at).toISOString().slice(0, 10);
    return dynamoClient().send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `STATS#${day}`, sk: `${hourOf(h.at).slice(11)}#I#${h.integrationId}` },
        // The counters' names go through #…, as in `bump`: DynamoDB reserves many plain words.
        UpdateExpression: `ADD ${adds.join(', ')} SET ${[...sets, 'expiresAt = :exp'].join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ...values,
          ':exp': Math.floor(h.at / 1000) + STATS_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  private bump(
    at: number,
    sk: string,
    counter: string,
    add: string,
    sets: string[],
    values: Record<string, unknown>,
  ) {
    const day = new Date(at).toISOString().slice(0, 10);
    return dynamoClient().send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `STATS#${day}`, sk },
        // The counter's name goes through #c: DynamoDB reserves many plain words.
        UpdateExpression: `ADD #c ${add} SET ${[...sets, 'expiresAt = :exp'].join(', ')}`,
        ExpressionAttributeNames: { '#c': counter },
        ExpressionAttributeValues: {
          ...values,
          ':exp': Math.floor(at / 1000) + STATS_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  /**
   * `n` messages accepted at `at` (-1 takes back one whose acceptance was undone: the same `at`, so
   * the same shard). Every accept of the hub bumps its hour, so the hour is spread over
   * ACCEPTED_SHARDS items (by the millisecond of `at`), which the reader sums: one item would cap the
   * whole hub near DynamoDB's 1,000 writes a second per item.
   */
  async accepted(at: number, n = 1): Promise<void> {
    const sk = `${hourOf(at).slice(11)}#*#${at % ACCEPTED_SHARDS}`;
    await this.bump(at, sk, 'accepted', ':n', [], { ':n': n });
  }

  /** A delivery of `integrationId` ended at `at` (inside `gatherEnded`, counted at its end). */
  async ended(integrationId: string, outcome: DeliveryOutcome, at: number): Promise<void> {
    const gathered = gathering.getStore();
    if (gathered) {
      const key = `${hourOf(at)}#${integrationId}`;
      const h = gathered.get(key) ?? { at, integrationId, delivered: 0, failed: 0 };
      h[outcome]++;
      const last = outcome === 'delivered' ? 'lastSuccessAt' : 'lastFailureAt';
      h[last] = Math.max(h[last] ?? at, at);
      gathered.set(key, h);
      return;
    }
    const last = outcome === 'delivered' ? 'lastSuccessAt' : 'lastFailureAt';
    await this.bump(
      at,
      `${hourOf(at).slice(11)}#I#${integrationId}`,
      outcome,
      ':one',
      ['integrationId = :i', `${last} = :at`],
      { ':one': 1, ':i': integrationId, ':at': new Date(at).toISOString() },
    );
  }

  /** Every hour's counts from the hour of `since` to the hour of `now`. */
  async hours(since: number, now: number): Promise<HourCounts[]> {
    const out: HourCounts[] = [];
    const first = hourOf(since);
    for (let day = first.slice(0, 10); day <= hourOf(now).slice(0, 10); ) {
      const items = await queryAll({
        TableName: this.table,
        KeyConditionExpression: day === first.slice(0, 10) ? 'pk = :pk AND sk >= :from' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': `STATS#${day}`,
          ...(day === first.slice(0, 10) ? { ':from': first.slice(11) } : {}),
        },
      });
      for (const i of items) {
        const sk = String(i.sk);
        out.push({
          hour: `${day}T${sk.slice(0, 2)}`,
          ...(sk.includes('#I#') ? { integrationId: String(i.integrationId) } : {}),
          ...(typeof i.accepted === 'number' ? { accepted: i.accepted } : {}),
          ...(typeof i.delivered === 'number' ? { delivered: i.delivered } : {}),
          ...(typeof i.failed === 'number' ? { failed: i.failed } : {}),
          ...(typeof i.lastSuccessAt === 'string' ? { lastSuccessAt: i.lastSuccessAt } : {}),
          ...(typeof i.lastFailureAt === 'string' ? { lastFailureAt: i.lastFailureAt } : {}),
        });
      }
      day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    }
    return out;
  }

  /**
   * The integration of every delivery now in `status` whose message was received since `since`, from
   * the byDeliveryStatus index: the deliveries waiting for their next attempt, which the retry
   * schedule bounds (days), never the table.
   */
  async openSince(status: string, since: string): Promise<string[]> {
    const items = await queryAll({
      TableName: this.table,
      IndexName: 'byDeliveryStatus',
      KeyConditionExpression: '#s = :s AND logAt >= :since',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': status, ':since': since },
      ProjectionExpression: 'integrationId',
    });
    return items.map((i) => String(i.integrationId));
  }

  /** When the oldest message with a delivery in `status` was received (one index item read). */
  async oldestIn(status: string): Promise<string | undefined> {
    const r = await dynamoClient().send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byDeliveryStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': status },
        ScanIndexForward: true,
        Limit: 1,
      }),
    );
    const logAt = r.Items?.[0]?.logAt;
    return typeof logAt === 'string' ? logAt.split('#')[0] : undefined;
  }
}
