import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { MessageStatus } from '../core/message.js';
import { dynamoClient } from './aws.js';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor.js';

/**
 * The operator's message log, newest first, read from the index chosen for the filter: delivery rows
 * byIntegration for an integration; message heads bySender / byReceiver for a partner (a partner is a
 * sender or a receiver, so its page merges the two streams); delivery rows byDeliveryStatus for a
 * status; else message heads byDay. Every Query reads at most one page's worth of items, so a page
 * costs what it holds, never what the table holds. The walk answers positions (message ids in order);
 * the use case reads each message and checks the filters no index served.
 */

export interface LogQuery {
  sender?: string;
  receiver?: string;
  /** Matches the sender or the receiver. */
  partner?: string;
  doctype?: string;
  status?: MessageStatus;
  integrationId?: string;
  /** ISO timestamps, inclusive. */
  since?: string;
  until?: string;
}

/** An index item as the walk hands it out: its message (`pk`) and when that was received. */
export type LogItem = Record<string, unknown> & { pk: string; receivedAt: string };

/** The day a message is filed under in the byDay index. */
export const logDayOf = (receivedAt: string) => receivedAt.slice(0, 10);
/** A delivery row's place in byIntegration and byDeliveryStatus: its message's receivedAt, then id. */
export const logAtOf = (receivedAt: string, messageId: string) => `${receivedAt}#${messageId}`;

/** How far back a log with no `since` looks: the messages' retention. */
const RETENTION_DAYS = 90;
/**
 * The most Queries one page makes before it answers with a cursor (past empty days, or past items a
 * filter drops): enough to walk every day of the retention once.
 */
const MAX_QUERIES_PER_PAGE = RETENTION_DAYS + 10;
const DAY_MS = 86_400_000;

interface Stream {
  index: 'bySender' | 'byReceiver' | 'byDay' | 'byIntegration' | 'byDeliveryStatus';
  attribute: 'sender' | 'receiver' | 'logDay' | 'integrationId' | 'status';
  /** Message heads sort on receivedAt, delivery rows on logAt. */
  sort: 'receivedAt' | 'logAt';
  /** Partition values in the order they are read (days newest first). */
  parts: string[];
}

/** The delivery statuses a message of each status has at least one of (accepted: none stored). */
const DELIVERY_STATUSES: Record<MessageStatus, string[]> = {
  failed: ['failed'],
  delivered: ['delivered'],
  pending: ['retrying', 'queued', 'held'],
  accepted: [],
};

/** Where a stream stopped: the partition it reads and the last key it handed out; done when spent. */
interface StreamState {
  part: number;
  key?: Record<string, string>;
  done?: boolean;
}

function streamsFor(q: LogQuery, now: number): Stream[] {
  const rows = (index: 'byIntegration' | 'byDeliveryStatus', values: string[]): Stream[] =>
    values.map((v) => ({
      index,
      attribute: index === 'byIntegration' ? 'integrationId' : 'status',
      sort: 'logAt',
      parts: [v],
    }));
  if (q.integrationId) return rows('byIntegration', [q.integrationId]);
  // Both named: the sender's stream; the receiver is checked on each message.
  if (q.sender) return [{ index: 'bySender', attribute: 'sender', sort: 'receivedAt', parts: [q.sender] }];
  if (q.receiver)
    return [{ index: 'byReceiver', attribute: 'receiver', sort: 'receivedAt', parts: [q.receiver] }];
  if (q.partner) {
    return [
      { index: 'bySender', attribute: 'sender', sort: 'receivedAt', parts: [q.partner] },
      { index: 'byReceiver', attribute: 'receiver', sort: 'receivedAt', parts: [q.partner] },
    ];
  }
  const statuses = q.status ? DELIVERY_STATUSES[q.status] : [];
  if (statuses.length > 0) return rows('byDeliveryStatus', statuses);
  const until = q.until ? Date.parse(q.until) : now;
  const since = q.since ? Date.parse(q.since) : now - RETENTION_DAYS * DAY_MS;
  const days: string[] = [];
  for (let t = until; logDayOf(new Date(t).toISOString()) >= logDayOf(new Date(since).toISOString()); ) {
    days.push(logDayOf(new Date(t).toISOString()));
    t -= DAY_MS;
    if (days.length > RETENTION_DAYS + 1) break;
  }
  return [{ index: 'byDay', attribute: 'logDay', sort: 'receivedAt', parts: days }];
}

/**
 * The cursor names each stream's partition by value, so a day that begins between pages moves nothing;
 * `before` is the last message handed out, which bounds a stream that has handed out nothing yet (a
 * message that arrived after the first page is newer than it, so it never lands on a later page).
 */
const CursorSchema = z.object({
  streams: z.array(
    z.object({
      at: z.string(),
      key: z.optional(z.record(z.string(), z.string())),
      done: z.optional(z.boolean()),
    }),
  ),
  before: z.optional(z.object({ at: z.string(), id: z.string() })),
});

interface Position {
  at: string;
  id: string;
}

const encode = (states: StreamState[], streams: Stream[], before: Position | undefined) =>
  encodeCursor({
    streams: states.map((s, i) => ({
      at: streams[i]?.parts[s.part] ?? '',
      ...(s.key ? { key: s.key } : {}),
      ...(s.done ? { done: true } : {}),
    })),
    ...(before ? { before } : {}),
  });

function decode(cursor: string | undefined, streams: Stream[]): { states: StreamState[]; before?: Position } {
  if (cursor === undefined) return { states: streams.map(() => ({ part: 0 })) };
  const data = decodeCursor(cursor, CursorSchema);
  if (data.streams.length !== streams.length) throw invalidCursor();
  const states = data.streams.map((s, i): StreamState => {
    const stream = streams[i] as Stream;
    const part = stream.parts.indexOf(s.at);
    if (s.done) return { part: 0, done: true };
    // A key from another query (another partner, another day) is not this stream's.
    if (part < 0 || (s.key && s.key[stream.attribute] !== s.at)) throw invalidCursor();
    return { part, ...(s.key ? { key: s.key } : {}) };
  });
  return { states, ...(data.before ? { before: data.before } : {}) };
}

const keyOf = (item: LogItem, stream: Stream): Record<string, string> => ({
  pk: String(item.pk),
  sk: String(item.sk),
  [stream.attribute]: String(item[stream.attribute]),
  [stream.sort]: String(item[stream.sort]),
});

/** Newer first; equal times by id, newer ids first. */
const newer = (a: LogItem, b: LogItem) =>
  a.receivedAt === b.receivedAt ? a.pk > b.pk : a.receivedAt > b.receivedAt;

export class MessageLog {
  constructor(private readonly table: string) {}

  /**
   * Hands message heads out newest first, one at a time, to `take`, which answers whether the page
   * is full; reads each stream at most `batch` items at a time. Answers the cursor of what follows.
   */
  async walk(
    q: LogQuery,
    cursor: string | undefined,
    now: number,
    batch: number,
    take: (item: LogItem) => Promise<boolean>,
  ): Promise<string | undefined> {
    const streams = streamsFor(q, now);
    const decoded = decode(cursor, streams);
    const states = decoded.states;
    let before = decoded.before;
    const buffers: LogItem[][] = streams.map(() => []);
    /** The key a stream's last Query stopped at (absent: its partition is spent). */
    const stops: (Record<string, string> | undefined)[] = streams.map(() => undefined);
    const started: boolean[] = streams.map(() => false);
    let queries = 0;

    /** Reads stream i until its buffer holds something or it is spent; false when the page's Query budget ran out. */
    const fill = async (i: number): Promise<boolean> => {
      const stream = streams[i] as Stream;
      const state = states[i] as StreamState;
      const buffer = buffers[i] as LogItem[];
      while (!state.done && buffer.length === 0) {
        if (started[i] && !stops[i]) {
          // This partition is spent: move on to the next day, if any.
          if (state.part + 1 >= stream.parts.length) {
            state.done = true;
            return true;
          }
          state.part += 1;
          delete state.key;
        }
        if (++queries > MAX_QUERIES_PER_PAGE) return false;
        const r = await dynamoClient().send(
          new QueryCommand({
            TableName: this.table,
            IndexName: stream.index,
            ScanIndexForward: false,
            Limit: batch,
            ...condition(q, stream, state, state.key ? undefined : before),
            ...(state.key ? { ExclusiveStartKey: state.key } : {}),
          }),
        );
        started[i] = true;
        const items = (r.Items ?? []) as LogItem[];
        // A stream read from the top for the first time skips what is newer than the page before.
        const bound = state.key ? undefined : before;
        const placed =
          stream.sort === 'logAt'
            ? items.map((it) => ({ ...it, receivedAt: String(it.logAt).split('#')[0] ?? '' }))
            : items;
        buffer.push(...(bound ? placed.filter((it) => !isAtOrNewer(it, bound)) : placed));
        stops[i] = r.LastEvaluatedKey as Record<string, string> | undefined;
        // Items the filter dropped still move the stream on.
        if (buffer.length === 0 && stops[i]) state.key = stops[i];
      }
      return true;
    };

    /** Hands the head of stream i out of its buffer, moving the stream's key past it. */
    const shift = (i: number): LogItem => {
      const buffer = buffers[i] as LogItem[];
      const item = buffer.shift() as LogItem;
      const state = states[i] as StreamState;
      state.key = buffer.length === 0 && stops[i] ? stops[i] : keyOf(item, streams[i] as Stream);
      if (
        buffer.length === 0 &&
        started[i] &&
        !stops[i] &&
        state.part + 1 >= (streams[i] as Stream).parts.length
      )
        state.done = true;
      return item;
    };

    for (;;) {
      let budgetLeft = true;
      for (let i = 0; i < streams.length; i++) budgetLeft = (await fill(i)) && budgetLeft;
      if (!budgetLeft) break;
      let best = -1;
      for (let i = 0; i < streams.length; i++) {
        const head = (buffers[i] as LogItem[])[0];
        if (head && (best < 0 || newer(head, (buffers[best] as LogItem[])[0] as LogItem))) best = i;
      }
      if (best < 0) break;
      const item = shift(best);
      // Another delivery row of the message just handed out is not handed out again.
      if (before && item.pk === before.id) continue;
      before = { at: item.receivedAt, id: String(item.pk) };
      // The same message at the head of the other stream (a partner sending to itself) is handed out once.
      for (let i = 0; i < streams.length; i++) {
        if (i !== best && (buffers[i] as LogItem[])[0]?.pk === item.pk) shift(i);
      }
      if (await take(item)) break;
    }
    return states.every((s) => s.done) ? undefined : encode(states, streams, before);
  }
}

const isAtOrNewer = (item: LogItem, p: Position) =>
  item.receivedAt > p.at || (item.receivedAt === p.at && String(item.pk) >= p.id);

function condition(q: LogQuery, stream: Stream, state: StreamState, before?: Position) {
  const values: Record<string, string> = { ':part': stream.parts[state.part] as string };
  const names: Record<string, string> = { '#p': stream.attribute };
  // Never past what the page before handed out (see CursorSchema), nor past `until`.
  const until = before && (!q.until || before.at < q.until) ? before.at : q.until;
  // A delivery row's logAt is `receivedAt#id`: an instant bounds it from above past every id.
  const upTo = until && stream.sort === 'logAt' ? `${until}#~` : until;
  if (q.since || until) names['#t'] = stream.sort;
  let key = '#p = :part';
  if (q.since && upTo) {
    key += ' AND #t BETWEEN :since AND :until';
    values[':since'] = q.since;
    values[':until'] = upTo;
  } else if (q.since) {
    key += ' AND #t >= :since';
    values[':since'] = q.since;
  } else if (upTo) {
    key += ' AND #t <= :until';
    values[':until'] = upTo;
  }
  // On message heads the doctype and a receiver beside a sender are checked by DynamoDB, before the
  // page is read further; the use case checks every filter again on the message it reads.
  const filters: string[] = [];
  if (q.doctype && stream.sort === 'receivedAt') {
    filters.push('doctype = :doctype');
    values[':doctype'] = q.doctype;
  }
  if (q.sender && q.receiver && stream.attribute === 'sender') {
    filters.push('#r = :receiver');
    names['#r'] = 'receiver';
    values[':receiver'] = q.receiver;
  }
  return {
    KeyConditionExpression: key,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
  };
}
