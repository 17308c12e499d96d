import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../core/clock.js';
import { allowedFrom, type DeliveryTransition, statusAfter } from '../core/delivery-state.js';
import { heldSort } from '../core/health.js';
import type { InlinePayload } from '../core/inline-payload.js';
import { scopeOfHandle } from '../core/lease.js';
import { type Attempt, type Delivery, type Message, webhookIdOf } from '../core/message.js';
import type { ObjectWrite } from '../core/object-write.js';
import { capReason } from '../core/reason.js';
import type { DeliveryOutcome } from '../core/stats.js';
import { logger, recordMetric } from '../observability.js';
import { dynamoClient } from './aws.js';
import { conditional, queryPartition } from './dynamo.js';
import { completeLeased, leaseMailbox } from './leased-mailbox.js';
import { logAtOf, logDayOf } from './message-log.js';

export interface StoredMessage extends Message {
  /** The document itself (maybe deflated) when it is small enough to live in the item. */
  inline?: InlinePayload;
  /** Otherwise its S3 key (always one the hub wrote: no presigned PUT reaches it). */
  payloadKey?: string;
  /** A presigned upload: the write of its upload key that was accepted (a later one is noted). */
  landed?: ObjectWrite;
  /** What the hub noticed after acceptance, such as the upload key written again. */
  note?: string;
  /**
   * The push/notify deliveries, named on the message: each delivery's own row is written only when its
   * first attempt is claimed, which saves a write unit per message.
   */
  routes?: PackedRoute[];
  expiresAt: number;
}

/**
 * What an Idempotency-Key remembers: the message it named and the request it came with. `fingerprint`
 * (receiver, doctype, version, content type and body) is absent from claims written before it existed,
 * which have only `bodySha256`.
 */
export interface IdempotencyClaim {
  messageId: string;
  bodySha256: string;
  fingerprint?: string;
  claimedAt?: number;
}

export interface InboxEntry {
  messageId: string;
  integrationId: string;
  receiptHandle: string;
}

/**
 * A push or notify delivery's first row, written with its first claim: the delivery, the message's
 * TTL and its receivedAt (which files the row in the message log's delivery indexes).
 */
export interface FirstRow {
  delivery: Delivery;
  expiresAt: number;
  receivedAt?: string;
}

/**
 * A held delivery's entry in its integration's held list (`HELD#<integrationId>`, sorted by the
 * message's arrival): what enabling the integration pages through, so its cost follows the held
 * deliveries, never the table.
 */
export interface HeldEntry {
  messageId: string;
  /** The entry's sort key: `<receivedAt>#<messageId>` (core/health.ts heldSort). */
  sort: string;
}

export interface MessageRecord {
  message: StoredMessage;
  deliveries: Delivery[];
}

/** Where the repository counts accepted messages and ended deliveries (adapters/stats.ts). */
export interface DeliveryCounters {
  accepted(at: number, n?: number): Promise<void>;
  ended(integrationId: string, outcome: DeliveryOutcome, at: number): Promise<void>;
}

/** Messages, their deliveries and attempts share one partition: one Query reads a message's whole story. */
export class MessageRepository {
  /**
   * `counters` are told of each message stored and each delivery that ends, after the write that
   * made it so; every such write goes through this repository, so nothing is counted twice or missed.
   */
  constructor(
    private readonly table: string,
    private readonly counters?: DeliveryCounters,
    private readonly clock: Clock = systemClock,
  ) {}

  private get db() {
    return dynamoClient();
  }

  /** A counter that cannot be bumped is logged: statistics never fail the write they count. */
  private async count(bump: (c: DeliveryCounters) => Promise<void>): Promise<void> {
    if (!this.counters) return;
    try {
      await bump(this.counters);
    } catch (e) {
      logger.warn('a statistics counter was not updated', { error: e as Error });
    }
  }

  /**
   * A delivery ended: counted for GET /admin/stats and as DeliveriesDelivered / DeliveriesFailed, in
   * the same place, so the two never disagree.
   */
  private ended(integrationId: string, outcome: DeliveryOutcome, at: number): Promise<void> {
    recordMetric(outcome === 'delivered' ? 'DeliveriesDelivered' : 'DeliveriesFailed');
    return this.count((c) => c.ended(integrationId, outcome, at));
  }

  /**
   * Writes the message and its pull deliveries (BatchWrite retries what DynamoDB left unprocessed).
   * Push and notify deliveries are named on the message and get their row with their first claim.
   */
  async create(message: StoredMessage, deliveries: Delivery[]): Promise<void> {
    const pk = `MSG#${message.id}`;
    const routes = deliveries
      .filter((d) => d.mode !== 'pull')
      // Kept small (the webhook-id is derived): every byte past 1 KB costs the item a second write unit.
      .map((d) => ({
        integrationId: d.integrationId,
        mode: d.mode,
        ...(d.nextAttemptAt ? { nextAttemptAt: d.nextAttemptAt } : {}),
      }));
    let requests: Record<string, unknown>[] = [
      {
        PutRequest: {
          Item: {
            pk,
            sk: 'MSG',
            ...toItem(message),
            // The day the message-log's byDay index files it under (functions/adapters/message-log.ts).
            logDay: logDayOf(message.receivedAt),
            ...(routes.length ? { routes: routes.map(packRoute) } : {}),
          },
        },
      },
      ...deliveries
        .filter((d) => d.mode === 'pull')
        .map((d) => ({
          PutRequest: {
            Item: {
              pk,
              sk: `DLV#${d.integrationId}`,
              expiresAt: message.expiresAt,
              ...d,
              // Pull deliveries wait in the receiver's inbox (a sparse index) until they are done,
              // from when they are available: at once, or at a scheduled integration's tick.
              inbox: message.receiver,
              inboxSort: `${d.nextAttemptAt ?? message.receivedAt}#${message.id}`,
              logAt: logAtOf(message.receivedAt, message.id),
            },
          },
        })),
    ];
    for (let round = 0; requests.length > 0; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
      if (round > 6) throw new Error('DynamoDB left writes unprocessed');
      const batch = requests.slice(0, 25);
      const r = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: batch } }));
      requests = [...(r.UnprocessedItems?.[this.table] ?? []), ...requests.slice(25)];
    }
    await this.count((c) => c.accepted(Date.parse(message.receivedAt)));
  }

  /** Removes what `create` wrote, when the message could not be enqueued and is being refused. */
  async remove(message: Message, deliveries: Delivery[]): Promise<void> {
    const pk = `MSG#${message.id}`;
    const keys = [{ pk, sk: 'MSG' }, ...deliveries.map((d) => ({ pk, sk: `DLV#${d.integrationId}` }))];
    await this.db.send(
      new BatchWriteCommand({
        RequestItems: { [this.table]: keys.map((Key) => ({ DeleteRequest: { Key } })) },
      }),
    );
    await this.count((c) => c.accepted(Date.parse(message.receivedAt), -1));
  }

  /** Records what the hub noticed about an accepted message (the latest note replaces an earlier one). */
  async addNote(id: string, note: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MSG#${id}`, sk: 'MSG' },
          UpdateExpression: 'SET note = :n',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':n': capReason(note) },
        }),
      ),
    );
  }

  async get(id: string): Promise<StoredMessage | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `MSG#${id}`, sk: 'MSG' } }),
    );
    return r.Item ? toMessage(r.Item) : undefined;
  }

  async getRecord(id: string): Promise<MessageRecord | undefined> {
    const items = await queryPartition(this.table, `MSG#${id}`);
    const head = items.find((i) => i.sk === 'MSG');
    if (!head) return undefined;
    return {
      message: toMessage(head),
      deliveries: withRoutes(
        toMessage(head),
        items.filter((i) => String(i.sk).startsWith('DLV#')).map((i) => strip(i) as unknown as Delivery),
      ),
    };
  }

  /** The message and one of its deliveries in a single consistent BatchGet (the worker's first read). */
  async getForDelivery(
    messageId: string,
    integrationId: string,
  ): Promise<{ message?: StoredMessage; delivery?: Delivery; stored?: boolean }> {
    const pk = `MSG#${messageId}`;
    const r = await this.db.send(
      new BatchGetCommand({
        RequestItems: {
          [this.table]: {
            Keys: [
              { pk, sk: 'MSG' },
              { pk, sk: `DLV#${integrationId}` },
            ],
            ConsistentRead: true,
          },
        },
      }),
    );
    let items = r.Responses?.[this.table] ?? [];
    // BatchGet may leave keys unprocessed under load; read those one by one.
    let message: StoredMessage | undefined;
    let row: Delivery | undefined;
    if (r.UnprocessedKeys?.[this.table]?.Keys?.length) {
      [message, row] = await Promise.all([this.get(messageId), this.getDelivery(messageId, integrationId)]);
    } else {
      items = items as Record<string, unknown>[];
      const head = items.find((i) => i.sk === 'MSG');
      const dlv = items.find((i) => i.sk !== 'MSG');
      message = head ? toMessage(head) : undefined;
      row = dlv ? (strip(dlv) as unknown as Delivery) : undefined;
    }
    const delivery = message
      ? withRoutes(message, row ? [row] : []).find((d) => d.integrationId === integrationId)
      : row;
    return { ...(message ? { message } : {}), ...(delivery ? { delivery, stored: row !== undefined } : {}) };
  }

  async getDelivery(messageId: string, integrationId: string): Promise<Delivery | undefined> {
    const r = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `MSG#${messageId}`, sk: `DLV#${integrationId}` },
        ConsistentRead: true,
      }),
    );
    return r.Item ? (strip(r.Item) as unknown as Delivery) : undefined;
  }

  /**
   * Claims attempt n: succeeds only if n-1 attempts were started and the delivery is still open, so
   * two workers holding the same queue message can never both make attempt n.
   */
  async claimAttempt(
    messageId: string,
    integrationId: string,
    n: number,
    firstRow?: FirstRow,
  ): Promise<boolean> {
    // The delivery's row does not exist yet: the first claim creates it, and only one can.
    if (firstRow) return this.createRow(messageId, integrationId, firstRow, { attemptCount: n });
    const claim = statusIn('claim');
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MSG#${messageId}`, sk: `DLV#${integrationId}` },
          UpdateExpression: 'SET attemptCount = :n',
          ConditionExpression: `attemptCount = :prev AND ${claim.expression}`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':n': n, ':prev': n - 1, ...claim.values },
        }),
      ),
    );
  }

  /**
   * Records an attempt and the delivery's new state in one write: attempts live in a list on the
   * delivery item (at most 20 per round), which saves a write unit per attempt over separate rows.
   */
  async recordAttempt(
    messageId: string,
    integrationId: string,
    attempt: Attempt,
    next: Pick<Delivery, 'status' | 'nextAttemptAt' | 'lastError' | 'response'>,
  ): Promise<void> {
    await this.updateDelivery(messageId, integrationId, next, attempt);
    if (next.status === 'delivered' || next.status === 'failed') {
      await this.ended(integrationId, next.status, Date.parse(attempt.at) + attempt.durationMs);
    }
  }

  /** Starts a failed delivery again from attempt 1, in a new round. False unless it was failed. */
  async restartDelivery(messageId: string, integrationId: string): Promise<boolean> {
    const restart = statusIn('restart');
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MSG#${messageId}`, sk: `DLV#${integrationId}` },
          UpdateExpression:
            'SET #s = :to, attemptCount = :zero, #r = if_not_exists(#r, :zero) + :one REMOVE nextAttemptAt, lastError, deadLettered',
          ConditionExpression: restart.expression,
          ExpressionAttributeNames: { '#s': 'status', '#r': 'round' },
          ExpressionAttributeValues: {
            ':to': statusAfter('restart'),
            ':zero': 0,
            ':one': 1,
            ...restart.values,
          },
        }),
      ),
    );
  }

  async updateDelivery(
    messageId: string,
    integrationId: string,
    next: Partial<
      Pick<Delivery, 'status' | 'nextAttemptAt' | 'lastError' | 'response' | 'attemptCount' | 'deadLettered'>
    >,
    appendAttempt?: Attempt,
  ): Promise<void> {
    const sets: string[] = [];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (appendAttempt) {
      sets.push('attempts = list_append(if_not_exists(attempts, :noAttempts), :attempt)');
      values[':noAttempts'] = [];
      values[':attempt'] = [appendAttempt];
    }
    for (const [k, v] of Object.entries(next)) {
      names[`#${k}`] = k;
      if (v === undefined) removes.push(`#${k}`);
      else {
        sets.push(`#${k} = :${k}`);
        values[`:${k}`] = v;
      }
    }
    const expr = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `MSG#${messageId}`, sk: `DLV#${integrationId}` },
        UpdateExpression: expr,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  }

  /**
   * Writes a push or notify delivery's row, which exists only from its first claim on (the message
   * names its deliveries until then), with `fields` over the route's; false when it exists already.
   */
  private createRow(
    messageId: string,
    integrationId: string,
    firstRow: FirstRow,
    fields: Partial<Delivery>,
  ): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: `MSG#${messageId}`,
            sk: `DLV#${integrationId}`,
            ...firstRow.delivery,
            ...fields,
            expiresAt: firstRow.expiresAt,
            ...(firstRow.receivedAt ? { logAt: logAtOf(firstRow.receivedAt, messageId) } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /**
   * Fails a delivery that has not finished (queued or retrying) with `lastError`, without an attempt
   * (its integration or message is gone, its client switched it off); `firstRow` when its row does
   * not exist yet. False when it had finished meanwhile, so a duplicate job never closes it twice.
   */
  async failOpen(
    messageId: string,
    integrationId: string,
    lastError: string,
    firstRow?: FirstRow,
  ): Promise<boolean> {
    return this.failUnfinished('fail', messageId, integrationId, lastError, firstRow);
  }

  /**
   * Fails a delivery that has not finished (queued or retrying) with `lastError`, as dead-lettered;
   * `firstRow` when its row does not exist yet (no attempt was claimed), which this then writes whole.
   * False when it had finished or changed meanwhile: a copy of its job that got through is never
   * overwritten.
   */
  /** Fails an unfinished delivery whose job reached a dead-letter queue as `letterId` (noted on it). */
  async failDeadLettered(
    messageId: string,
    integrationId: string,
    lastError: string,
    firstRow?: FirstRow,
    letterId?: string,
  ): Promise<boolean> {
    return this.failUnfinished('deadLetter', messageId, integrationId, lastError, firstRow, letterId);
  }

  /** What both share: the write, then the count of a delivery that ended failed. */
  private async failUnfinished(
    transition: 'fail' | 'deadLetter',
    messageId: string,
    integrationId: string,
    lastError: string,
    firstRow: FirstRow | undefined,
    letterId?: string,
  ): Promise<boolean> {
    const failed = await this.failUnfinishedWrite(
      transition,
      messageId,
      integrationId,
      lastError,
      firstRow,
      letterId,
    );
    if (failed) await this.ended(integrationId, 'failed', this.clock.now());
    return failed;
  }

  /** The write: conditional on the delivery being unfinished, or its first row. */
  private failUnfinishedWrite(
    transition: 'fail' | 'deadLetter',
    messageId: string,
    integrationId: string,
    lastError: string,
    firstRow: FirstRow | undefined,
    letterId?: string,
  ): Promise<boolean> {
    const deadLettered = transition === 'deadLetter';
    const letter = deadLettered && letterId ? letterId : undefined;
    if (firstRow) {
      return this.createRow(messageId, integrationId, firstRow, {
        status: statusAfter(transition),
        ...(deadLettered ? { deadLettered: true } : {}),
        ...(letter ? { deadLetters: [letter] } : {}),
        lastError,
        nextAttemptAt: undefined,
      });
    }
    const from = statusIn(transition);
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MSG#${messageId}`, sk: `DLV#${integrationId}` },
          UpdateExpression: `SET #s = :to, ${deadLettered ? 'deadLettered = :yes, ' : ''}${
            letter ? 'deadLetters = list_append(if_not_exists(deadLetters, :none), :letter), ' : ''
          }lastError = :why REMOVE nextAttemptAt`,
          ConditionExpression: from.expression,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':to': statusAfter(transition),
            ...(deadLettered ? { ':yes': true } : {}),
            ...(letter ? { ':none': [], ':letter': [letter] } : {}),
            ':why': lastError,
            ...from.values,
          },
        }),
      ),
    );
  }

  /**
   * Holds an open delivery (its integration is disabled: endpoint health) without an attempt. The held
   * list's entry is written first and the delivery second, so a delivery is never held without an
   * entry (an entry whose delivery is not held is dropped when the list is paged). `firstRow` when
   * the delivery's row does not exist yet. False when the delivery was no longer open.
   */
  async holdDelivery(
    message: Pick<StoredMessage, 'id' | 'receivedAt' | 'expiresAt'>,
    integrationId: string,
    firstRow?: FirstRow,
  ): Promise<boolean> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...heldKey(integrationId, heldSort(message)),
          messageId: message.id,
          expiresAt: message.expiresAt,
        },
      }),
    );
    if (firstRow) {
      return this.createRow(message.id, integrationId, firstRow, {
        status: statusAfter('hold'),
        nextAttemptAt: undefined,
      });
    }
    return this.moveHeld('hold', message.id, integrationId);
  }

  /** Held → queued (released: the integration was enabled). False when it was not held. */
  releaseDelivery(messageId: string, integrationId: string): Promise<boolean> {
    return this.moveHeld('release', messageId, integrationId);
  }

  /** Queued → held again, for a released delivery whose job could not be queued. */
  holdAgain(messageId: string, integrationId: string): Promise<boolean> {
    return this.moveHeld('hold', messageId, integrationId);
  }

  private moveHeld(transition: 'hold' | 'release', messageId: string, integrationId: string) {
    const from = statusIn(transition);
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MSG#${messageId}`, sk: `DLV#${integrationId}` },
          UpdateExpression: 'SET #s = :to REMOVE nextAttemptAt',
          ConditionExpression: from.expression,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':to': statusAfter(transition), ...from.values },
        }),
      ),
    );
  }

  /** The oldest `limit` entries of an integration's held list (a consistent Query of one partition). */
  async heldEntries(integrationId: string, limit: number): Promise<HeldEntry[]> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `HELD#${integrationId}` },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (r.Items ?? []).map((i) => ({ messageId: String(i.messageId), sort: String(i.sk) }));
  }

  /** Removes entries from an integration's held list (BatchWrite retries what DynamoDB left unprocessed). */
  async dropHeldEntries(integrationId: string, entries: readonly HeldEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 25) {
      let requests: Record<string, unknown>[] = entries
        .slice(i, i + 25)
        .map((e) => ({ DeleteRequest: { Key: heldKey(integrationId, e.sort) } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
        if (round > 6) throw new Error('DynamoDB left deletes unprocessed');
        const r = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = r.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }

  /**
   * Leases up to `limit` waiting pull deliveries of a receiver, oldest first (the shared mailbox lease:
   * a delivery another reader holds is skipped, never handed out twice).
   */
  async leaseInbox(
    receiver: string,
    limit: number,
    now: number,
    visibilitySeconds: number,
  ): Promise<InboxEntry[]> {
    const leased = await leaseMailbox(this.table, {
      mailbox: receiver,
      limit,
      now,
      visibilitySeconds,
      scopeOf: (item) => String(item.integrationId),
      heldUntilSorted: true,
    });
    return leased.map((l) => ({
      messageId: String(l.item.messageId),
      integrationId: String(l.item.integrationId),
      receiptHandle: l.receiptHandle,
    }));
  }

  /** Ends a leased pull delivery as failed (its client switched the integration off); it leaves the inbox. */
  async failLeased(receiver: string, entry: InboxEntry, reason: string, now: number): Promise<boolean> {
    const failed = await completeLeased(this.table, {
      key: { pk: `MSG#${entry.messageId}`, sk: `DLV#${entry.integrationId}` },
      mailboxes: [receiver],
      receiptHandle: entry.receiptHandle,
      now,
      set: { status: 'failed', lastError: reason },
    });
    if (failed) await this.ended(entry.integrationId, 'failed', now);
    return failed;
  }

  /** Completes a leased pull delivery; false when the handle is stale or the id unknown. */
  async completeInbox(
    receiver: string,
    messageId: string,
    receiptHandle: string,
    now: number,
  ): Promise<boolean> {
    const integrationId = scopeOfHandle(receiptHandle);
    if (!integrationId) return false;
    const delivered = await completeLeased(this.table, {
      key: { pk: `MSG#${messageId}`, sk: `DLV#${integrationId}` },
      mailboxes: [receiver],
      receiptHandle,
      now,
      set: { status: 'delivered', attemptCount: 1 },
    });
    if (delivered) await this.ended(integrationId, 'delivered', now);
    return delivered;
  }

  /**
   * Remembers an Idempotency-Key for a sender. Returns undefined when this call took the key,
   * or what the first call stored.
   */
  async claimIdempotencyKey(
    sender: string,
    keyHash: string,
    value: IdempotencyClaim & { claimedAt: number },
    expiresAt: number,
  ): Promise<IdempotencyClaim | undefined> {
    const Key = { pk: `IDEM#${sender}#${keyHash}`, sk: 'IDEM' };
    const took = await conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...Key, ...value, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (took) return undefined;
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    return r.Item as IdempotencyClaim;
  }

  /**
   * Takes over a key whose first request died before storing its message: only if the key still
   * names that request's message id, so two retries cannot both take it.
   */
  async takeOverIdempotencyKey(
    sender: string,
    keyHash: string,
    previousMessageId: string,
    value: IdempotencyClaim & { claimedAt: number },
    expiresAt: number,
  ): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `IDEM#${sender}#${keyHash}`, sk: 'IDEM', ...value, expiresAt },
          ConditionExpression: 'messageId = :previous',
          ExpressionAttributeValues: { ':previous': previousMessageId },
        }),
      ),
    );
  }

  async releaseIdempotencyKey(sender: string, keyHash: string): Promise<void> {
    await this.db.send(
      new BatchWriteCommand({
        RequestItems: {
          [this.table]: [{ DeleteRequest: { Key: { pk: `IDEM#${sender}#${keyHash}`, sk: 'IDEM' } } }],
        },
      }),
    );
  }
}

/**
 * The condition that a delivery's status (`#s`) allows `transition`, from the one state machine:
 * `#s IN (:from0, :from1)` and its values.
 */
function statusIn(transition: DeliveryTransition) {
  const from = allowedFrom(transition);
  const names = from.map((_, i) => `:from${i}`);
  return {
    expression: `#s IN (${names.join(', ')})`,
    values: Object.fromEntries(from.map((status, i) => [names[i], status])),
  };
}

const heldKey = (integrationId: string, sort: string) => ({ pk: `HELD#${integrationId}`, sk: sort });

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const {
    pk: _pk,
    sk: _sk,
    expiresAt: _e,
    inbox: _i,
    inboxSort: _s,
    leaseUntil: _l,
    receiptHandle: _h,
    logAt: _a,
    ...rest
  } = item;
  return rest;
}

/**
 * The message item is kept lean, since a 2 KB document deflates to about 700 bytes and every byte
 * past 1 KB costs a second write unit: the id is already in the key, and routes are packed strings.
 */
function toItem(message: StoredMessage): Record<string, unknown> {
  const { id: _id, routes: _routes, ...rest } = message;
  return rest;
}

function toMessage(item: Record<string, unknown>): StoredMessage {
  const { pk, sk: _sk, routes, logDay: _d, ...rest } = item;
  return {
    ...(rest as unknown as StoredMessage),
    id: String(pk).slice('MSG#'.length),
    ...(Array.isArray(routes) ? { routes: routes.map((r) => unpackRoute(String(r))) } : {}),
  };
}

const MODES: Record<string, Delivery['mode']> = { p: 'push', n: 'notify', l: 'pull', a: 'apply' };
/** A delivery named on its message before its row exists: `<id>:<mode letter>[@<held until, epoch s>]`. */
interface PackedRoute {
  integrationId: string;
  mode: Delivery['mode'];
  /** A scheduled integration's hold (Contract v2, "Schedules"): no attempt before this. */
  nextAttemptAt?: string;
}
const packRoute = (r: PackedRoute) =>
  `${r.integrationId}:${r.mode === 'pull' ? 'l' : r.mode[0]}${
    r.nextAttemptAt ? `@${Math.floor(Date.parse(r.nextAttemptAt) / 1000)}` : ''
  }`;
function unpackRoute(packed: string): PackedRoute {
  const [route = '', held] = packed.split('@');
  const at = route.lastIndexOf(':');
  return {
    integrationId: route.slice(0, at),
    mode: MODES[route.slice(at + 1)] ?? 'push',
    ...(held ? { nextAttemptAt: new Date(Number(held) * 1000).toISOString() } : {}),
  };
}

/**
 * The message's deliveries: the stored rows, completed by the push/notify deliveries the message
 * names whose row does not exist yet (queued, no attempt), and by what a partial row lacks.
 */
function withRoutes(message: StoredMessage, rows: Delivery[]): Delivery[] {
  const fromRoutes = (message.routes ?? []).map(
    (r): Delivery => ({
      messageId: message.id,
      ...r,
      webhookId: webhookIdOf(message.id, r.integrationId),
      status: 'queued',
      attemptCount: 0,
    }),
  );
  const byId = new Map(fromRoutes.map((d) => [d.integrationId, d]));
  for (const row of rows) byId.set(row.integrationId, { ...byId.get(row.integrationId), ...row } as Delivery);
  return [...byId.values()];
}
