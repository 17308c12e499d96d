import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { newId } from '../core/clock.js';
import {
  EVENT_RETENTION_DAYS,
  type EventSink,
  type OperationalEvent,
  type OperationalEventType,
} from '../core/events.js';
import { capReason } from '../core/reason.js';
import { logger } from '../observability.js';
import { dynamoClient } from './aws.js';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor.js';

/**
 * Operational events in the messages table, kept EVENT_RETENTION_DAYS by its TTL. Each event is two
 * small items, one in the stream of every event and one in the stream of its type, keyed
 * `EVENTS#all` / `EVENTS#type#<type>` with the sort key `<at ISO>#<id>`: a listing, filtered by type
 * or not, is one Query of one partition, newest first, and costs what its page holds. No index is
 * needed (so the table gains none), and events are rare (failures, operator actions), far below the
 * write rate one partition takes.
 */

/** An event as stored and answered: its id, and its time as ISO 8601. */
export interface StoredEvent {
  id: string;
  type: OperationalEventType;
  at: string;
  integrationId?: string;
  messageId?: string;
  partner?: string;
  detail: string;
}

const ALL = 'EVENTS#all';
const streamOf = (type: OperationalEventType | undefined) => (type ? `EVENTS#type#${type}` : ALL);
const DAY_MS = 86_400_000;
/** The longest id a stored event names (an integration, a message, a partner). */
const MAX_NAME_CHARS = 256;

// One client per process, here rather than in aws.ts, so only the bundles that emit events carry SNS.
let sns: SNSClient | undefined;
const snsClient = () => {
  sns ??= new SNSClient({});
  return sns;
};

/** Where a page stopped: the stream it read (so another filter's cursor is refused) and the last key. */
const CursorSchema = z.strictObject({ stream: z.string(), sk: z.string().check(z.maxLength(512)) });

export interface EventQuery {
  type?: OperationalEventType;
  /** ISO 8601, inclusive. */
  since?: string;
  limit: number;
  cursor?: string;
}

export class OperationalEvents implements EventSink {
  /** `topicArn` unset: the function stores events but is not bound to the topic (a reader). */
  constructor(
    private readonly table: string,
    private readonly topicArn?: string,
  ) {}

  /**
   * Stores the event and publishes it, both tried whatever becomes of the other. Never throws, as the
   * port promises (core/events.ts): what could not be stored or published is logged with the event, so
   * it can still be found, and the work that caused it stands.
   */
  async emit(event: OperationalEvent): Promise<void> {
    const stored = storedEvent(event);
    try {
      await this.write(stored);
    } catch (e) {
      logger.error('operational event not kept or published', { event: stored, error: e as Error });
    }
  }

  /** Stores and publishes one event; throws (an AggregateError) if either failed. */
  async record(event: OperationalEvent): Promise<StoredEvent> {
    const stored = storedEvent(event);
    await this.write(stored);
    return stored;
  }

  private async write(stored: StoredEvent): Promise<void> {
    const expiresAt = Math.floor(Date.parse(stored.at) / 1000) + EVENT_RETENTION_DAYS * 86_400;
    const sk = `${stored.at}#${stored.id}`;
    const results = await Promise.allSettled([
      ...[ALL, streamOf(stored.type)].map((pk) =>
        dynamoClient().send(
          new PutCommand({ TableName: this.table, Item: { pk, sk, ...stored, expiresAt } }),
        ),
      ),
      this.publish(stored),
    ]);
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length > 0) throw new AggregateError(failed, `event ${stored.id} was not kept or published`);
  }

  private async publish(e: StoredEvent): Promise<void> {
    if (!this.topicArn) throw new Error('this function is not bound to the events topic');
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await snsClient().send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(e),
        MessageAttributes: {
          type: attribute(e.type),
          ...(e.integrationId ? { integrationId: attribute(e.integrationId) } : {}),
          ...(e.partner ? { partner: attribute(e.partner) } : {}),
        },
      }),
    );
  }

  /**
   * A page of events, newest first, never older than the retention (no emulator expires TTL items,
   * and DynamoDB deletes them up to days late). Reads one item past the page to know whether another
   * follows, so a cursor is answered only when there is more.
   */
  async list(q: EventQuery, now: number): Promise<{ events: StoredEvent[]; nextCursor?: string }> {
    const stream = streamOf(q.type);
    let start: Record<string, string> | undefined;
    if (q.cursor !== undefined) {
      const position = decodeCursor(q.cursor, CursorSchema);
      if (position.stream !== stream) throw invalidCursor();
      start = { pk: stream, sk: position.sk };
    }
    const oldest = new Date(now - EVENT_RETENTION_DAYS * DAY_MS).toISOString();
    const from = q.since && q.since > oldest ? q.since : oldest;
    const r = await dynamoClient().send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk >= :from',
        ExpressionAttributeValues: { ':pk': stream, ':from': from },
        ScanIndexForward: false,
        Limit: q.limit + 1,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const items = (r.Items ?? []) as (StoredEvent & { sk: string })[];
    const page = items.slice(0, q.limit);
    const last = page.at(-1);
    return {
      events: page.map(viewOf),
      ...(items.length > q.limit && last ? { nextCursor: encodeCursor({ stream, sk: last.sk }) } : {}),
    };
  }
}

/** The record of an event: a time-sortable id, ISO time, capped names and detail. */
function storedEvent(e: OperationalEvent): StoredEvent {
  const names = (['integrationId', 'messageId', 'partner'] as const).flatMap((k) => {
    const v = e[k];
    return v === undefined ? [] : [[k, capReason(v, MAX_NAME_CHARS)] as const];
  });
  return {
    id: newId('evt', e.at),
    type: e.type,
    at: new Date(e.at).toISOString(),
    ...Object.fromEntries(names),
    detail: capReason(e.detail),
  };
}

/** Only the fields of the contract, in its order. */
const viewOf = (e: StoredEvent): StoredEvent => ({
  id: e.id,
  type: e.type,
  at: e.at,
  ...(e.integrationId ? { integrationId: e.integrationId } : {}),
  ...(e.messageId ? { messageId: e.messageId } : {}),
  ...(e.partner ? { partner: e.partner } : {}),
  detail: e.detail,
});
