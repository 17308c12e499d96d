import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { ObjectWrite } from '../core/object-write.js';
import { mailboxOf, mailboxSort, type Packet } from '../core/packet.js';
import { capReason } from '../core/reason.js';
import { dynamoClient } from './aws.js';
import { decodeCursor, encodeCursor, invalidCursor } from './cursor.js';
import { conditional } from './dynamo.js';
import { completeLeased, leaseMailbox } from './leased-mailbox.js';

/**
 * Sync packets in the messages table (`PKT#<syncLogId>`) and their packetUniqueId claims
 * (`PKTUID#<scope>#<packetUniqueId>`). A ready packet waits in its mailbox on the shared `byInbox`
 * index until its reader completes it. (Presigned URLs are PacketUrls', so handlers that only list and
 * complete packets carry no S3 client.)
 */
export class PacketRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  /**
   * Claims a packetUniqueId within its scope for packet `id`. Returns undefined when this call took
   * it, or the id of the packet that holds it. An expired claim is taken over.
   */
  async claimUniqueId(
    scope: string,
    packetUniqueId: string,
    id: string,
    expiresAt: number,
    nowSeconds: number,
  ): Promise<string | undefined> {
    const Key = { pk: `PKTUID#${scope}#${packetUniqueId}`, sk: 'PKTUID' };
    const took = await conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...Key, packetId: id, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
    if (took) return undefined;
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    return r.Item ? String(r.Item.packetId) : undefined;
  }

  /** Writes a new packet; when one with its id exists already, returns that one instead. */
  async createOrGet(p: Packet): Promise<Packet> {
    const created = await conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          // packetArea/packetSort: the operator's listing of an area (the byArea index), newest first.
          Item: {
            pk: `PKT#${p.id}`,
            sk: 'PKT',
            ...p,
            packetArea: p.appArea,
            packetSort: `${p.createdAt}#${p.id}`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return created ? p : ((await this.get(p.id)) ?? p);
  }

  /**
   * One page of an app area's packets, newest first (the byArea index), optionally of one status
   * (a filter on the page read, so a page may hold fewer; its cursor goes on).
   */
  async listArea(
    appArea: string,
    o: { status?: string | undefined; limit: number; cursor?: string | undefined },
  ): Promise<{ packets: Packet[]; nextCursor?: string }> {
    const start = o.cursor ? decodeCursor(o.cursor, AreaPositionSchema) : undefined;
    if (start && start.packetArea !== appArea) throw invalidCursor();
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byArea',
        KeyConditionExpression: 'packetArea = :a',
        ...(o.status ? { FilterExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' } } : {}),
        ExpressionAttributeValues: { ':a': appArea, ...(o.status ? { ':s': o.status } : {}) },
        ScanIndexForward: false,
        Limit: o.limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    return {
      packets: (r.Items ?? []).map(toPacket),
      ...(r.LastEvaluatedKey ? { nextCursor: encodeCursor(r.LastEvaluatedKey) } : {}),
    };
  }

  async get(id: string): Promise<Packet | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `PKT#${id}`, sk: 'PKT' }, ConsistentRead: true }),
    );
    return r.Item ? toPacket(r.Item) : undefined;
  }

  /**
   * awaiting → ready: the packet enters its reader's mailbox, naming what it serves (the checked copy or
   * the native form) and the write it checked. False when it had left awaiting already (another worker
   * got there first, and what this one wrote is never named).
   */
  async markReady(p: Packet, readyAt: string, settled: SettledPacket): Promise<boolean> {
    const served = {
      ...(settled.checkedKey ? { checkedKey: settled.checkedKey } : {}),
      ...(settled.nativeKey ? { nativeKey: settled.nativeKey } : {}),
    };
    const names = Object.keys(served);
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `PKT#${p.id}`, sk: 'PKT' },
          UpdateExpression: `SET #s = :ready, readyAt = :at, inbox = :m, inboxSort = :sort, checkedWrite = :w${names.map((n) => `, ${n} = :${n}`).join('')}`,
          ConditionExpression: '#s = :awaiting',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':ready': 'ready',
            ':awaiting': 'awaiting',
            ':at': readyAt,
            ':m': mailboxOf(p),
            ':sort': mailboxSort({ ...p, readyAt }),
            ':w': settled.checkedWrite,
            ...Object.fromEntries(Object.entries(served).map(([n, v]) => [`:${n}`, v])),
          },
        }),
      ),
    );
  }

  /**
   * awaiting → failed, with the reason the status route shows (and the write refused, when known).
   * False when it had left awaiting already.
   */
  async markFailed(id: string, reason: string, refused?: ObjectWrite): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `PKT#${id}`, sk: 'PKT' },
          UpdateExpression: `SET #s = :failed, #e = :e${refused ? ', checkedWrite = :w' : ''}`,
          ConditionExpression: '#s = :awaiting',
          ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':awaiting': 'awaiting',
            ':e': capReason(reason),
            ...(refused ? { ':w': refused } : {}),
          },
        }),
      ),
    );
  }

  /** Records what the hub noticed about a settled packet (the latest note replaces an earlier one). */
  async addNote(id: string, note: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `PKT#${id}`, sk: 'PKT' },
          UpdateExpression: 'SET note = :n',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':n': capReason(note) },
        }),
      ),
    );
  }

  async markNotified(id: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `PKT#${id}`, sk: 'PKT' },
        UpdateExpression: 'SET notified = :t',
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }

  /** Leases up to `limit` ready packets of a mailbox, oldest first (the shared mailbox lease). */
  async lease(
    mailbox: string,
    limit: number,
    now: number,
    visibilitySeconds: number,
  ): Promise<{ packet: Packet; receiptHandle: string }[]> {
    const leased = await leaseMailbox(this.table, {
      mailbox,
      limit,
      now,
      visibilitySeconds,
      // The handle's scope is not needed to find a packet (its id is its key); `pkt` marks it as one.
      scopeOf: () => 'pkt',
    });
    return leased.map((l) => ({ packet: toPacket(l.item), receiptHandle: l.receiptHandle }));
  }

  /** Completes a leased packet of one of `mailboxes`: false for a stale handle or an unknown id. */
  async complete(
    id: string,
    mailboxes: readonly string[],
    receiptHandle: string,
    now: number,
  ): Promise<boolean> {
    return completeLeased(this.table, {
      key: { pk: `PKT#${id}`, sk: 'PKT' },
      mailboxes,
      receiptHandle,
      now,
      set: { status: 'done', doneAt: new Date(now).toISOString() },
    });
  }
}

/** What a check settled a packet with. */
export interface SettledPacket {
  checkedKey?: string;
  nativeKey?: string;
  checkedWrite: ObjectWrite;
}

function toPacket(item: Record<string, unknown>): Packet {
  const {
    pk: _pk,
    sk: _sk,
    inbox: _i,
    inboxSort: _s,
    leaseUntil: _l,
    receiptHandle: _h,
    packetArea: _a,
    packetSort: _o,
    ...rest
  } = item;
  return rest as unknown as Packet;
}

/** A position in an area's listing: the last packet's index key. */
const AreaPositionSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  packetArea: z.string(),
  packetSort: z.string(),
});
