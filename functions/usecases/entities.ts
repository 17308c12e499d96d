import type { EnablementRepository } from '../adapters/enablements.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { parseDocument } from '../core/document.js';
import {
  canonicalJson,
  decidePut,
  isRowData,
  MAX_ROW_BYTES,
  MAX_ROW_DELIVERIES,
  mayRead,
  mergeWriteBack,
  type PendingSend,
  ROW_ID,
  type RowData,
  type RowDelivery,
  type RowTick,
  rowMessageId,
  type StoredRow,
} from '../core/entities.js';
import { ApplyRefused, HubError, notFound } from '../core/errors.js';
import { describeFailure, evaluateExpression } from '../core/expressions.js';
import type { StoredIntegration } from '../core/integration.js';
import type { MessageSource } from '../core/message.js';
import type { Randomness } from '../core/random.js';
import { capReason } from '../core/reason.js';
import { sha256Hex } from '../core/secrets.js';
import {
  decideOnChange,
  MAX_HOPS,
  nextTick,
  type RowChange,
  routesRow,
  type TriggerIntegration,
} from '../core/triggers.js';
import { logger } from '../observability.js';
import { type AcceptPorts, storeMessage } from './accept-message.js';
import { enabledFor, routingStop } from './enablements.js';
import { filterAdmits } from './filters.js';

/**
 * Entity rows (Contract v2, "Entities" and "Triggers"): a partner's system keeps its rows in the hub
 * and Outbound integrations send them. The owner writes and deletes; the owner and the receivers of
 * integrations that sent the row read it; to anyone else a row does not exist (404).
 *
 * No stored change is left unsent: the sends a version owes are written on the row in the same item
 * write as the version (an outbox on the row: DynamoDB Local has transactions, but the embedded
 * dynalite has neither TransactWriteItems nor Streams), then stored as messages with ids derived from
 * (row, version, integration) and queued, then cleared. A crash in between leaves them on the row,
 * in a sparse index that sweepPendingSends reads; sending again names the same message, and the
 * delivery engine's conditional claims keep a job queued twice from being delivered twice.
 */
export interface RowStore {
  get(entity: string, id: string): Promise<StoredRow | undefined>;
  put(row: StoredRow, previousVersion: number | undefined): Promise<boolean>;
  /** Clears the sends of `version` (if the row is still at it) and records their deliveries. */
  settle(row: StoredRow, deliveries: RowDelivery[]): Promise<void>;
  /** Replaces only the deliveries, if the row is still as read; false when it changed. */
  recordOutcome(row: StoredRow, deliveries: RowDelivery[]): Promise<boolean>;
  delete(entity: string, id: string, owner: string): Promise<boolean>;
  list(
    owner: string,
    entity: string,
    o: { since?: string; limit: number; cursor?: string },
  ): Promise<{ rows: StoredRow[]; nextCursor?: string }>;
  /** Rows with sends not yet handed on, written before `before` (ISO), oldest first. */
  withPendingSends(limit: number, before: string): Promise<StoredRow[]>;
}

/** Continuous integrations' re-sends, one per (integration, row), found by when they are due. */
export interface TickStore {
  schedule(t: RowTick): Promise<void>;
  due(now: string, limit: number): Promise<RowTick[]>;
  /** False when the re-send changed since it was read (then it is left as it now is). */
  advance(t: RowTick, dueAt: string): Promise<boolean>;
  drop(t: RowTick): Promise<boolean>;
}

export interface EntityPorts extends Pick<AcceptPorts, 'messages' | 'payloads' | 'queue' | 'clock'> {
  rows: RowStore;
  ticks: TickStore;
  /** A new row's incarnation (StoredRow.gen). */
  random: Pick<Randomness, 'id'>;
  registry: Pick<RegistryRepository, 'listIntegrations'>;
  /** A managed integration sends a row only for an owner that enabled it. */
  enablements: Pick<EnablementRepository, 'forClient'>;
  clock: Clock;
}

const rowNotFound = () => notFound('The row');
const preconditionFailed = (current: number | undefined) =>
  new HubError(
    412,
    'precondition_failed',
    current === undefined
      ? 'If-Match names a version, but the row does not exist.'
      : `If-Match names another version; the row is at version ${current}.`,
  );

export interface PutResult {
  created: boolean;
  row: Pick<StoredRow, 'entity' | 'id' | 'version' | 'owner' | 'updatedAt'>;
  /** The integrations this version was queued for. */
  queued: string[];
  /** False when the body was identical: no new version. */
  changed: boolean;
}

const summary = (r: StoredRow): PutResult['row'] => ({
  entity: r.entity,
  id: r.id,
  version: r.version,
  owner: r.owner,
  updatedAt: r.updatedAt,
});

export const asTrigger = (i: StoredIntegration): TriggerIntegration => ({
  id: i.id,
  direction: i.direction,
  active: i.active,
  entity: i.entity,
  sender: i.sender,
  includeUpdate: i.includeUpdate ?? false,
  continuous: i.continuous ?? false,
});

/** Writes a version of a row and sends it where the trigger rules say; a lost race re-reads and decides again. */
export function putRow(
  p: EntityPorts,
  caller: string,
  input: { entity: string; id: string; data: RowData; ifMatch?: number },
): Promise<PutResult> {
  return writeRow(p, caller, input, 0);
}

/**
 * A version of a row written for `owner`: by the owner itself (hops 0), or by the hub on its behalf
 * (an Inbound apply: one hop more than the message that caused it).
 */
async function writeRow(
  p: EntityPorts,
  owner: string,
  input: { entity: string; id: string; data: RowData; ifMatch?: number },
  hops: number,
  /** The registry as read once for a batch of rows (an Inbound document); else read per write. */
  integrations?: readonly StoredIntegration[],
): Promise<PutResult> {
  for (let round = 0; round < 5; round++) {
    const existing = await p.rows.get(input.entity, input.id);
    const decision = decidePut(existing, owner, input.data, input.ifMatch);
    if (decision.kind === 'notFound') throw rowNotFound();
    if (decision.kind === 'preconditionFailed') throw preconditionFailed(decision.current);
    if (decision.kind === 'unchanged' && existing)
      return { created: false, row: summary(existing), queued: [], changed: false };
    const version = decision.kind === 'update' ? decision.version : 1;
    const row: StoredRow = {
      entity: input.entity,
      id: input.id,
      owner,
      version,
      updatedAt: new Date(p.clock.now()).toISOString(),
      data: input.data,
      readers: [...(existing?.readers ?? [])],
      deliveries: existing?.deliveries ?? [],
      sent: { ...(existing?.sent ?? {}) },
      // A send an earlier version still owes (its writer crashed) is carried, never dropped.
      pending: [...(existing?.pending ?? [])],
      ...(existing?.rev ? { rev: existing.rev } : {}),
    };
    // A new row is a new incarnation; a version keeps its row's (see StoredRow.gen).
    const gen = existing ? existing.gen : p.random.id('gen', p.clock.now());
    if (gen) row.gen = gen;
    if (hops > 0) row.hops = hops;
    // Not a write-back, and (unchanged was answered above) not identical.
    const change: RowChange = { entity: row.entity, owner: row.owner, version, hops, identical: false };
    const queued = await writeVersion(p, existing, row, change, integrations);
    if (queued) return { created: decision.kind === 'create', row: summary(row), queued, changed: true };
  }
  throw new HubError(
    409,
    'conflict',
    'The row is being changed by other requests at the same time; try again.',
  );
}

/**
 * Decides which integrations send a new version of a row, writes the version with those sends (the
 * outbox) if the row is still at `existing`'s version, then hands them on. The integrations whose
 * send the hop limit stopped are listed on the row's deliveries, so a loop says why it ended.
 * Returns the integrations queued, or undefined when another writer got there first.
 */
async function writeVersion(
  p: EntityPorts,
  existing: StoredRow | undefined,
  row: StoredRow,
  change: RowChange,
  known?: readonly StoredIntegration[],
): Promise<string[] | undefined> {
  const integrations = [...(known ?? (await p.registry.listIntegrations()))];
  const queued: string[] = [];
  const at = new Date(p.clock.now()).toISOString();
  for (const i of integrations) {
    const trigger = asTrigger(i);
    if (!routesRow(trigger, row)) continue;
    if ((await routingStop(p.enablements, i, row.owner)) !== undefined) continue;
    const filterPasses = await filterAdmits(i, row.data);
    const d = decideOnChange(trigger, change, { sentVersion: existing?.sent[i.id] }, filterPasses);
    if (!d.send) {
      if (d.reason === 'hop-limit') {
        row.deliveries = [
          ...row.deliveries,
          {
            integrationId: i.id,
            version: row.version,
            status: 'skipped',
            at,
            error: `not sent: this version is ${change.hops} write-backs from the owner's own write (the limit is ${MAX_HOPS})`,
          },
        ].slice(-MAX_ROW_DELIVERIES);
      }
      continue;
    }
    row.pending.push({ integrationId: i.id, version: row.version });
    row.sent[i.id] = row.version;
    if (i.receiver && i.receiver !== row.owner && !row.readers.includes(i.receiver))
      row.readers.push(i.receiver);
    queued.push(i.id);
  }
  if (!(await p.rows.put(row, existing?.version))) return undefined;
  if (row.pending.length > 0) {
    // The version is stored with its sends: if handing them on fails now, the sweep does it later,
    // so the writer is told its write succeeded (it did) rather than asked to write again.
    await sendPending(p, row, integrations, true).catch((e: unknown) =>
      logger.warn('row sends left pending for the sweep', {
        entity: row.entity,
        version: row.version,
        reason: capReason(String((e as Error)?.message ?? e)),
      }),
    );
  }
  return queued;
}

/** How a delivery of a row's message ended, as the delivery engine reports it. */
export interface DeliveryEnd {
  messageId: string;
  /** The message's sender: the row's owner when it was sent. */
  sender: string;
  source: MessageSource;
  integration: Pick<StoredIntegration, 'id' | 'delivery'>;
  outcome: 'delivered' | 'failed';
  statusCode?: number | undefined;
  /** The counterparty's answer as kept on the delivery (already capped). */
  response?: { contentType?: string | undefined; body: string } | undefined;
  error?: string | undefined;
}

/** The counterparty's answer for a write-back: parsed when it is JSON or XML, else its text. */
async function readAnswer(response: DeliveryEnd['response']): Promise<unknown> {
  if (!response) return undefined;
  try {
    return await parseDocument(Buffer.from(response.body), response.contentType);
  } catch {
    return response.body;
  }
}

/**
 * When a delivery of a row ends: its outcome goes on the row's deliveries, and the integration's
 * `delivery.writeBack` (if any) is evaluated over {outcome, statusCode, response, error, data}; an
 * object result is merged into the row as a new version, one hop further from the owner's own write,
 * which never triggers the integration that wrote it. A write-back that fails, or gives something
 * other than an object, leaves the data as it is and says why on the delivery.
 */
export async function recordDeliveryEnd(p: EntityPorts, end: DeliveryEnd): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const row = await p.rows.get(end.source.entity, end.source.id);
    // Gone, or deleted and written again since (by another partner, or from version 1): not this row.
    if (!row || row.owner !== end.sender || row.version < end.source.version) return;
    const at = new Date(p.clock.now()).toISOString();
    const entry: RowDelivery = {
      integrationId: end.integration.id,
      messageId: end.messageId,
      version: end.source.version,
      status: end.outcome,
      at,
      ...(end.response ? { response: capReason(end.response.body) } : {}),
      ...(end.error ? { error: capReason(end.error) } : {}),
    };
    let data: RowData | undefined;
    const writeBack = end.integration.delivery?.writeBack;
    if (writeBack) {
      const r = await evaluateExpression(writeBack, {
        outcome: end.outcome,
        ...(end.statusCode === undefined ? {} : { statusCode: end.statusCode }),
        ...(end.response ? { response: await readAnswer(end.response) } : {}),
        ...(end.error ? { error: end.error } : {}),
        data: row.data,
      });
      if (!r.ok) entry.error = capReason(`write-back not applied: ${describeFailure(r)}`);
      else if (r.value !== undefined) {
        const merged = mergeWriteBack(row.data, r.value);
        if (!merged.ok) entry.error = capReason(`write-back not applied: ${merged.reason}`);
        else if (Buffer.byteLength(JSON.stringify(merged.data)) > MAX_ROW_BYTES) {
          entry.error = `write-back not applied: the row would be over ${MAX_ROW_BYTES / 1024} KB`;
        } else data = merged.data;
      }
    }
    const deliveries = [...row.deliveries.filter((d) => d.messageId !== end.messageId), entry].slice(
      -MAX_ROW_DELIVERIES,
    );
    if (data === undefined || canonicalJson(data) === canonicalJson(row.data)) {
      // Only the outcome changes: the deliveries alone, written only if the row is still as read.
      if (await p.rows.recordOutcome(row, deliveries)) return;
      continue;
    }
    const hops = (row.hops ?? 0) + 1;
    const next: StoredRow = {
      ...row,
      version: row.version + 1,
      updatedAt: at,
      data,
      deliveries,
      readers: [...row.readers],
      sent: { ...row.sent },
      pending: [...row.pending],
      hops,
      writtenBy: end.integration.id,
    };
    const change: RowChange = {
      entity: row.entity,
      owner: row.owner,
      version: next.version,
      hops,
      writtenBy: end.integration.id,
      identical: false,
    };
    if (await writeVersion(p, row, next, change)) return;
  }
  logger.warn('a delivery outcome could not be recorded on its row (it kept changing)', {
    entity: end.source.entity,
    messageId: end.messageId,
  });
}

/**
 * Hands a row's pending sends to the delivery engine as messages (doctype = the entity, sender = the
 * owner) and clears them. After a crash, a send owed by an earlier version carries the row as it is
 * now: the hub keeps one version of a row, and the newest is what the counterparty needs.
 */
async function sendPending(
  p: EntityPorts,
  row: StoredRow,
  integrations?: StoredIntegration[],
  /**
   * True for the writer of `row.version`, just after storing it: the sends of that version cannot be
   * stored yet (the sweep waits out the writer), so it skips the read that asks. Sends an earlier
   * version still owes may be.
   */
  byWriter = false,
): Promise<void> {
  const byId = new Map((integrations ?? (await p.registry.listIntegrations())).map((i) => [i.id, i]));
  const at = new Date(p.clock.now()).toISOString();
  const recorded: RowDelivery[] = [];
  for (const send of row.pending) {
    const messageId = rowMessageId(sha256Hex, row, send);
    const i = byId.get(send.integrationId);
    if (!i?.receiver || !i.active) {
      recorded.push({
        ...entry(send, messageId, at),
        status: 'failed',
        error: 'the integration is gone or inactive',
      });
      continue;
    }
    // A failure leaves every send of the row pending (nothing is recorded): the sweep tries again.
    // A managed integration holds to the owner's own schedule where it set one (its enablement).
    const [effective = i] = await enabledFor(p.enablements, [i], row.owner);
    await sendRowMessage(p, row, effective, messageId, !(byWriter && send.version === row.version));
    if (effective.continuous && effective.defaultSchedule) {
      // The next re-send is at the tick after the one this send is held to: never two at one tick.
      const held = nextTick(p.clock.now(), effective.defaultSchedule);
      await p.ticks.schedule(continuousTick(row, i.id, nextTick(held, effective.defaultSchedule)));
    }
    recorded.push(entry(send, messageId, at));
  }
  await p.rows.settle(row, [...row.deliveries, ...recorded].slice(-MAX_ROW_DELIVERIES));
}

const entry = (send: PendingSend, messageId: string, at: string): RowDelivery => ({
  integrationId: send.integrationId,
  messageId,
  version: send.version,
  status: 'queued',
  at,
});

const continuousTick = (row: StoredRow, integrationId: string, due: number): RowTick => ({
  integrationId,
  entity: row.entity,
  id: row.id,
  owner: row.owner,
  ...(row.gen ? { gen: row.gen } : {}),
  dueAt: new Date(due).toISOString(),
});

/**
 * Stores and queues the message `messageId` that sends the row as it is now through `i` (as enabled
 * for the owner: its schedule holds the send). Idempotent: a message stored before a crash
 * (`mayExist`) is queued again rather than stored twice.
 */
export async function sendRowMessage(
  p: EntityPorts,
  row: StoredRow,
  i: StoredIntegration,
  messageId: string,
  mayExist = true,
): Promise<void> {
  if (mayExist && (await p.messages.get(messageId))) {
    // Stored before a crash, perhaps never queued: queue it again (a delivered one is not sent twice).
    if (i.delivery?.mode !== 'pull') {
      await p.queue.enqueue([{ messageId, integrationId: i.id, ordered: i.parallel === false }]);
    }
    return;
  }
  await storeMessage(
    p,
    {
      id: messageId,
      sender: row.owner,
      receiver: i.receiver as string,
      doctype: row.entity,
      version: i.version ?? '',
      body: Buffer.from(JSON.stringify(row.data)),
      contentType: 'application/json',
      source: { entity: row.entity, id: row.id, version: row.version },
    },
    [i],
  );
}

/**
 * How old a row's pending sends must be before the sweep takes them: longer than a PUT can run (the
 * API functions time out after 15 s), so the sweep does not race a writer that is still handing on.
 */
export const PENDING_SEND_GRACE_MS = 30_000;

/** Sends what crashed writers left pending; returns how many rows it settled. */
export async function sweepPendingSends(p: EntityPorts, limit = 100): Promise<number> {
  const before = new Date(p.clock.now() - PENDING_SEND_GRACE_MS).toISOString();
  const rows = await p.rows.withPendingSends(limit, before);
  if (rows.length === 0) return 0;
  const integrations = await p.registry.listIntegrations();
  let settled = 0;
  for (const row of rows) {
    try {
      await sendPending(p, row, integrations);
      settled++;
    } catch (e) {
      logger.warn('row sends still pending', {
        entity: row.entity,
        version: row.version,
        reason: capReason(String((e as Error)?.message ?? e)),
      });
    }
  }
  return settled;
}

export async function getRow(p: Pick<EntityPorts, 'rows'>, caller: string, entity: string, id: string) {
  const row = await p.rows.get(entity, id);
  if (!row || !mayRead(row, caller)) throw rowNotFound();
  return {
    entity: row.entity,
    id: row.id,
    version: row.version,
    owner: row.owner,
    updatedAt: row.updatedAt,
    data: row.data,
    deliveries: row.deliveries,
  };
}

export async function deleteRow(p: Pick<EntityPorts, 'rows'>, caller: string, entity: string, id: string) {
  if (!(await p.rows.delete(entity, id, caller))) throw rowNotFound();
}

export async function listRows(
  p: Pick<EntityPorts, 'rows'>,
  caller: string,
  entity: string,
  o: { since?: string; limit: number; cursor?: string },
) {
  const page = await p.rows.list(caller, entity, o);
  return {
    rows: page.rows.map((r) => ({
      entity: r.entity,
      id: r.id,
      version: r.version,
      updatedAt: r.updatedAt,
      data: r.data,
    })),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}

/** The most rows one Inbound document may become. */
export const MAX_APPLIED_ROWS = 1000;

/**
 * An Inbound integration's delivery (mode `apply`; Teamogy's server role): the document, through the
 * integration's `inbound.template` if it has one, becomes one object or an array of objects, each
 * with a string `id`, and each becomes the data of that row of the integration's entity, owned by
 * its receiver; each new version triggers the Outbound integrations as a write would. The rows are
 * checked before any is written, so a document with a bad row writes nothing. Returns how many rows
 * got a new version.
 */
export async function applyDocument(
  p: EntityPorts,
  integration: Pick<StoredIntegration, 'id' | 'entity' | 'receiver' | 'inbound'>,
  message: { contentType: string; receiver: string; source?: MessageSource | undefined },
  body: Uint8Array,
): Promise<{ written: number; unchanged: number }> {
  // The rows are the message's receiver's: the integration's receiver when it was routed (the delivery
  // worker closes a delivery whose integration now names another), or the enabling client (managed).
  const owner = message.receiver;
  let document: unknown;
  try {
    document = await parseDocument(body, message.contentType);
  } catch (e) {
    throw new ApplyRefused(capReason((e as Error).message));
  }
  const template = integration.inbound?.template;
  if (template) {
    const r = await evaluateExpression(template, document);
    if (!r.ok) throw new ApplyRefused(`inbound.template failed: ${describeFailure(r)}`);
    document = r.value;
  }
  const objects = Array.isArray(document) ? document : [document];
  if (objects.length > MAX_APPLIED_ROWS) {
    throw new ApplyRefused(
      `the document gives ${objects.length} rows; at most ${MAX_APPLIED_ROWS} are applied at once`,
    );
  }
  const rows = objects.map((o, n) => {
    const at = Array.isArray(document) ? `item ${n}: ` : '';
    if (!isRowData(o)) throw new ApplyRefused(`${at}not an object; each row is an object with a string id`);
    if (typeof o.id !== 'string' || !ROW_ID.test(o.id)) {
      throw new ApplyRefused(`${at}id must be a string of 1 to 256 letters, digits, . _ : -`);
    }
    if (Buffer.byteLength(JSON.stringify(o)) > MAX_ROW_BYTES) {
      throw new ApplyRefused(`${at}row ${o.id} is over ${MAX_ROW_BYTES / 1024} KB`);
    }
    return { id: o.id, data: o };
  });
  for (const r of rows) {
    const existing = await p.rows.get(integration.entity, r.id);
    if (existing && existing.owner !== owner) {
      throw new ApplyRefused(`row ${r.id} of ${integration.entity} belongs to another partner`);
    }
  }
  // A message sent from a row is one hop from that row's change; a posted document is a partner's own.
  const hops = message.source ? ((await p.rows.get(message.source.entity, message.source.id))?.hops ?? 0) : 0;
  let written = 0;
  let unchanged = 0;
  // One read of the registry for the whole document, not one per row.
  const integrations = await p.registry.listIntegrations();
  for (const r of rows) {
    try {
      const result = await writeRow(
        p,
        owner,
        { entity: integration.entity, id: r.id, data: r.data },
        hops + 1,
        integrations,
      );
      if (result.changed) written++;
      else unchanged++;
    } catch (e) {
      if (e instanceof HubError && e.status === 404) {
        throw new ApplyRefused(`row ${r.id} of ${integration.entity} belongs to another partner`);
      }
      throw e;
    }
  }
  return { written, unchanged };
}
