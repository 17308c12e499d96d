import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RowDelivery, RowTick, StoredRow } from '../core/entities.js';
import { badRequest } from '../core/errors.js';
import { dynamoClient } from './aws.js';
import { conditional } from './dynamo.js';

/** The index of a partner's rows of one entity, oldest change first (lib/resources.ts). */
const BY_OWNER_ENTITY = 'byOwnerEntity';
/** The sparse index of rows whose sends are not yet handed on (the outbox, usecases/entities.ts). */
const BY_PENDING_SEND = 'byPendingSend';
/** The outbox index's key for rows: it holds only rows mid-write or left by a crash. */
const PENDING = 'pending';
/**
 * The same sparse index's key for continuous re-sends (RowTicks): one more partition of "sends that
 * are due", sorted by due time, rather than a second index (a table gains one index per deploy).
 */
const TICK = 'tick';

/**
 * Entity rows in the messages table, one item each, keyed by entity and id (the contract's
 * `/v1/entities/{entity}/{id}` names no owner, so a row id is unique per entity). The data is kept as
 * the JSON text the partner sent: a row is capped at 256 KB, which fits an item (400 KB) with its
 * bookkeeping, so rows never need S3. Rows have no TTL: they live until deleted.
 */
/** The item is at the revision the writer read (items written before revisions have none). */
const SAME_REV = '(attribute_not_exists(rev) OR rev = :rev)';
const rowKey = (entity: string, id: string) => ({ pk: `ROW#${entity}#${id}`, sk: 'ROW' });
const ownerEntity = (owner: string, entity: string) => `${owner}#${entity}`;
const rowSort = (updatedAt: string, id: string) => `${updatedAt}#${id}`;

interface RowItem {
  entity: string;
  id: string;
  owner: string;
  version: number;
  updatedAt: string;
  dataJson: string;
  readers?: string[];
  deliveries?: StoredRow['deliveries'];
  sent?: StoredRow['sent'];
  pending?: StoredRow['pending'];
  hops?: number;
  writtenBy?: string;
  rev?: number;
  gen?: string;
}

const toRow = (item: RowItem): StoredRow => ({
  entity: item.entity,
  id: item.id,
  owner: item.owner,
  version: item.version,
  updatedAt: item.updatedAt,
  data: JSON.parse(item.dataJson),
  readers: item.readers ?? [],
  deliveries: item.deliveries ?? [],
  sent: item.sent ?? {},
  pending: item.pending ?? [],
  ...(item.hops ? { hops: item.hops } : {}),
  ...(item.writtenBy ? { writtenBy: item.writtenBy } : {}),
  ...(item.rev ? { rev: item.rev } : {}),
  ...(item.gen ? { gen: item.gen } : {}),
});

/** A listing's position: the last row's key, base64url JSON, bound to the listing it came from. */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}
function decodeCursor(cursor: string, owner: string, entity: string): Record<string, unknown> {
  const invalid = () => badRequest('invalid_parameter', 'cursor is not one this listing gave.');
  if (cursor.length > 2048) throw invalid();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const k = key as Record<string, unknown>;
  const fields = ['pk', 'sk', 'rowOwner', 'rowSort'];
  if (
    typeof key !== 'object' ||
    key === null ||
    Object.keys(k).length !== fields.length ||
    !fields.every((f) => typeof k[f] === 'string') ||
    k.rowOwner !== ownerEntity(owner, entity)
  )
    throw invalid();
  return k;
}

export class EntityRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  async get(entity: string, id: string): Promise<StoredRow | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: rowKey(entity, id), ConsistentRead: true }),
    );
    return r.Item ? toRow(r.Item as RowItem) : undefined;
  }

  /**
   * Writes a version of the row; false when another writer got there first (the row exists when
   * `previousVersion` is undefined, or its version is no longer `previousVersion`).
   */
  async put(row: StoredRow, previousVersion: number | undefined): Promise<boolean> {
    const rev = (row.rev ?? 0) + 1;
    const item: RowItem & Record<string, unknown> = {
      rev,
      ...rowKey(row.entity, row.id),
      entity: row.entity,
      id: row.id,
      owner: row.owner,
      version: row.version,
      updatedAt: row.updatedAt,
      dataJson: JSON.stringify(row.data),
      readers: row.readers,
      deliveries: row.deliveries,
      sent: row.sent,
      pending: row.pending,
      ...(row.hops ? { hops: row.hops } : {}),
      ...(row.writtenBy ? { writtenBy: row.writtenBy } : {}),
      ...(row.gen ? { gen: row.gen } : {}),
      ...(row.pending.length > 0
        ? { pendingSend: PENDING, pendingSort: `${row.updatedAt}#${row.entity}#${row.id}` }
        : {}),
      rowOwner: ownerEntity(row.owner, row.entity),
      rowSort: rowSort(row.updatedAt, row.id),
    };
    const written = await conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ...(previousVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: `version = :v AND #owner = :owner AND ${SAME_REV}`,
                ExpressionAttributeNames: { '#owner': 'owner' },
                ExpressionAttributeValues: {
                  ':v': previousVersion,
                  ':owner': row.owner,
                  ':rev': row.rev ?? 0,
                },
              }),
        }),
      ),
    );
    // The caller's row now stands for the stored item (settle and recordOutcome condition on it).
    if (written) row.rev = rev;
    return written;
  }

  /** Replaces only the row's deliveries, if the item is still the one read (same version and revision). */
  recordOutcome(row: StoredRow, deliveries: RowDelivery[]): Promise<boolean> {
    return this.updateAsRead(row, 'deliveries = :d', { ':d': deliveries });
  }

  async settle(row: StoredRow, deliveries: RowDelivery[]): Promise<void> {
    // Only if the row is still as read: a newer write carried these sends and settles them, and a
    // write in between (an outcome recorded) leaves them pending for the sweep.
    await this.updateAsRead(
      row,
      'pending = :none, deliveries = :d',
      { ':none': [], ':d': deliveries },
      'pendingSend, pendingSort',
    );
  }

  /** An update of the row at the version and revision it was read at; it bumps the revision. */
  private updateAsRead(
    row: StoredRow,
    set: string,
    values: Record<string, unknown>,
    remove?: string,
  ): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: rowKey(row.entity, row.id),
          UpdateExpression: `SET ${set}, rev = :next${remove ? ` REMOVE ${remove}` : ''}`,
          ConditionExpression: `version = :v AND ${SAME_REV}`,
          ExpressionAttributeValues: {
            ...values,
            ':v': row.version,
            ':rev': row.rev ?? 0,
            ':next': (row.rev ?? 0) + 1,
          },
        }),
      ),
    );
  }

  async withPendingSends(limit: number, before: string): Promise<StoredRow[]> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: BY_PENDING_SEND,
        KeyConditionExpression: 'pendingSend = :p AND pendingSort < :before',
        ExpressionAttributeValues: { ':p': PENDING, ':before': before },
        Limit: limit,
      }),
    );
    return ((r.Items ?? []) as RowItem[]).map(toRow);
  }

  /** Deletes the row if `owner` owns it; false when there was no such row of theirs. */
  async delete(entity: string, id: string, owner: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: rowKey(entity, id),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      ),
    );
  }

  /** One page of the owner's rows of `entity` changed at or after `since`, oldest change first. */
  async list(
    owner: string,
    entity: string,
    o: { since?: string; limit: number; cursor?: string },
  ): Promise<{ rows: StoredRow[]; nextCursor?: string }> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: BY_OWNER_ENTITY,
        KeyConditionExpression: o.since ? 'rowOwner = :o AND rowSort >= :since' : 'rowOwner = :o',
        ExpressionAttributeValues: {
          ':o': ownerEntity(owner, entity),
          ...(o.since ? { ':since': o.since } : {}),
        },
        Limit: o.limit,
        ...(o.cursor ? { ExclusiveStartKey: decodeCursor(o.cursor, owner, entity) } : {}),
      }),
    );
    const rows = ((r.Items ?? []) as RowItem[]).map(toRow);
    return {
      rows,
      ...(r.LastEvaluatedKey && rows.length === o.limit
        ? { nextCursor: encodeCursor(r.LastEvaluatedKey) }
        : {}),
    };
  }
}

/** A continuous re-send's item: `TICK#<integration>` / `ROW#<entity>#<id>`, due by `pendingSort`. */
const tickKey = (t: Pick<RowTick, 'integrationId' | 'entity' | 'id'>) => ({
  pk: `TICK#${t.integrationId}`,
  sk: `ROW#${t.entity}#${t.id}`,
});
const tickSort = (t: RowTick) => `${t.dueAt}#${t.integrationId}#${t.entity}#${t.id}`;

interface TickItem {
  tickIntegration: string;
  tickEntity: string;
  tickRow: string;
  tickOwner: string;
  tickGen?: string;
  dueAt: string;
}

/**
 * Continuous integrations' re-sends (usecases/continuous.ts), one small item per (integration, row)
 * in the messages table, on the outbox's sparse index under its own key: a tick queries what is due,
 * so its cost follows the rows it sends, never the table. Items have no TTL: a tick drops the item
 * when the row stops being eligible, is deleted, or its integration is gone.
 */
export class RowTicks {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  /** Sets (or moves) the row's next re-send by the integration. */
  async schedule(t: RowTick): Promise<void> {
    const item: TickItem = {
      tickIntegration: t.integrationId,
      tickEntity: t.entity,
      tickRow: t.id,
      tickOwner: t.owner,
      ...(t.gen ? { tickGen: t.gen } : {}),
      dueAt: t.dueAt,
    };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...tickKey(t), ...item, pendingSend: TICK, pendingSort: tickSort(t) },
      }),
    );
  }

  /** Re-sends due at or before `now` (ISO), earliest first. */
  async due(now: string, limit: number): Promise<RowTick[]> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: BY_PENDING_SEND,
        // `~` sorts after `#`, so every item due at `now` itself is included.
        KeyConditionExpression: 'pendingSend = :t AND pendingSort <= :upTo',
        ExpressionAttributeValues: { ':t': TICK, ':upTo': `${now}~` },
        Limit: limit,
      }),
    );
    return ((r.Items ?? []) as TickItem[]).map((i) => ({
      integrationId: i.tickIntegration,
      entity: i.tickEntity,
      id: i.tickRow,
      owner: i.tickOwner,
      ...(i.tickGen ? { gen: i.tickGen } : {}),
      dueAt: i.dueAt,
    }));
  }

  /** Moves a re-send to `dueAt`, if it is still as read (a change in between set it already). */
  advance(t: RowTick, dueAt: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: tickKey(t),
          UpdateExpression: 'SET dueAt = :due, pendingSort = :sort',
          ConditionExpression: 'pendingSort = :read',
          ExpressionAttributeValues: {
            ':due': dueAt,
            ':sort': tickSort({ ...t, dueAt }),
            ':read': tickSort(t),
          },
        }),
      ),
    );
  }

  /** Ends the row's re-sends by the integration, if the item is still as read. */
  drop(t: RowTick): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: tickKey(t),
          ConditionExpression: 'pendingSort = :read',
          ExpressionAttributeValues: { ':read': tickSort(t) },
        }),
      ),
    );
  }
}
