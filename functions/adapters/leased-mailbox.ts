import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { newLease } from '../core/lease.js';
import { dynamoClient } from './aws.js';
import { conditional } from './dynamo.js';

/**
 * Leased mailboxes on a sparse index (the messages table's `byInbox`): an item waits in mailbox M while
 * it carries `inbox = M` and `inboxSort`; completing it removes both, so it leaves the index. The inbox
 * (pull deliveries) and sync packets (ERP and device mailboxes) share this, and with it the lease
 * rules of functions/core/lease.ts, enforced by conditional writes: two readers never hold one item.
 */
const INDEX = 'byInbox';

export interface LeasedItem {
  /** The whole item as the index holds it (its projection is ALL), as of the lease. */
  item: Record<string, unknown>;
  receiptHandle: string;
  leaseUntil: number;
}

export interface LeaseRequest {
  mailbox: string;
  limit: number;
  /** Epoch milliseconds. */
  now: number;
  visibilitySeconds: number;
  /** The scope a receipt handle names (see core/lease.ts), from the item. */
  scopeOf: (item: Record<string, unknown>) => string;
  /**
   * For a mailbox whose `inboxSort` starts with the ISO time an item becomes available (a scheduled
   * integration's pull delivery waits for its tick): only items available by `now` are leased.
   */
  heldUntilSorted?: boolean;
}

/**
 * Leases up to `limit` items of a mailbox, oldest first. Items another reader holds, and items past
 * their TTL (no emulator expires them, and DynamoDB takes up to days), are skipped. The conditional
 * writes for one page's candidates run together; a candidate another reader took first is skipped,
 * never handed out twice.
 */
export async function leaseMailbox(table: string, r: LeaseRequest): Promise<LeasedItem[]> {
  const leased: LeasedItem[] = [];
  const free = '(attribute_not_exists(leaseUntil) OR leaseUntil <= :now)';
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamoClient().send(
      new QueryCommand({
        TableName: table,
        IndexName: INDEX,
        // `~` sorts after the `#` that ends the time, so an item available at `now` itself is in.
        KeyConditionExpression: r.heldUntilSorted ? 'inbox = :m AND inboxSort <= :upTo' : 'inbox = :m',
        FilterExpression: `${free} AND (attribute_not_exists(expiresAt) OR expiresAt > :nowSeconds)`,
        ExpressionAttributeValues: {
          ':m': r.mailbox,
          ':now': r.now,
          ':nowSeconds': Math.floor(r.now / 1000),
          ...(r.heldUntilSorted ? { ':upTo': `${new Date(r.now).toISOString()}~` } : {}),
        },
        Limit: Math.max(r.limit * 2, 20),
        ExclusiveStartKey,
      }),
    );
    const items = page.Items ?? [];
    for (let at = 0; at < items.length && leased.length < r.limit; ) {
      const batch = items.slice(at, at + (r.limit - leased.length));
      at += batch.length;
      const results = await Promise.all(
        batch.map(async (item) => {
          const lease = newLease(r.scopeOf(item), r.now, r.visibilitySeconds);
          const took = await conditional(() =>
            dynamoClient().send(
              new UpdateCommand({
                TableName: table,
                Key: { pk: item.pk, sk: item.sk },
                UpdateExpression: 'SET leaseUntil = :until, receiptHandle = :h',
                ConditionExpression: `inbox = :m AND ${free}`,
                ExpressionAttributeValues: {
                  ':m': r.mailbox,
                  ':now': r.now,
                  ':until': lease.leaseUntil,
                  ':h': lease.receiptHandle,
                },
              }),
            ),
          );
          return took ? { item, ...lease } : undefined;
        }),
      );
      for (const l of results) if (l) leased.push(l);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && leased.length < r.limit);
  return leased;
}

export interface CompleteRequest {
  key: { pk: string; sk: string };
  /** The mailboxes the reader may complete items of: an item in any other is "unknown". */
  mailboxes: readonly string[];
  receiptHandle: string;
  now: number;
  /** What else completing sets on the item (its done status). */
  set: Record<string, unknown>;
}

/**
 * Completes a leased item: only with its latest handle, only while that lease lasts, and only once
 * (completing takes it out of the mailbox). False for a stale handle, an unknown item, or another
 * reader's mailbox.
 */
export async function completeLeased(table: string, r: CompleteRequest): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':h': r.receiptHandle, ':now': r.now };
  const sets = Object.entries(r.set).map(([k, v], i) => {
    names[`#s${i}`] = k;
    values[`:s${i}`] = v;
    return `#s${i} = :s${i}`;
  });
  const mailboxes = r.mailboxes.map((m, i) => {
    values[`:m${i}`] = m;
    return `:m${i}`;
  });
  return conditional(() =>
    dynamoClient().send(
      new UpdateCommand({
        TableName: table,
        Key: r.key,
        UpdateExpression: `${sets.length ? `SET ${sets.join(', ')} ` : ''}REMOVE inbox, inboxSort, leaseUntil, receiptHandle`,
        ConditionExpression: `inbox IN (${mailboxes.join(', ')}) AND receiptHandle = :h AND leaseUntil > :now`,
        ...(sets.length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
      }),
    ),
  );
}
