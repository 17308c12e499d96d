import * as z from 'zod/mini';

/** Entity rows (Contract v2, "Entities"): the names, limits and value rules, free of storage. */

export const ENTITY_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
export const ROW_ID = /^[A-Za-z0-9._:-]{1,256}$/;
/** The largest row body, in bytes of its JSON. */
export const MAX_ROW_BYTES = 256 * 1024;

export const RowPathSchema = z.object({
  entity: z
    .string()
    .check(z.regex(ENTITY_NAME, 'must be an entity name: a letter, then letters, digits, _ . -')),
  id: z.string().check(z.regex(ROW_ID, 'must be a row id: 1 to 256 of letters, digits, . _ : -')),
});

/** A row's data: a JSON object (not an array, not null). */
export type RowData = Record<string, unknown>;

export const isRowData = (v: unknown): v is RowData =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * JSON with object keys in sorted order, so two bodies that differ only in key order are the same
 * row: "identical bodies trigger nothing" compares these. Linear in the value (one sort per object).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys
      .filter((k) => (value as RowData)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as RowData)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A write-back's result merged into the row (top-level keys replace the row's), or the reason it
 * cannot be: only an object merges. Keys are defined as own properties, so a result key `__proto__`
 * is data, never a prototype.
 */
export function mergeWriteBack(
  data: RowData,
  result: unknown,
): { ok: true; data: RowData } | { ok: false; reason: string } {
  if (!isRowData(result)) {
    return {
      ok: false,
      reason: `the write-back gave ${result === null ? 'null' : Array.isArray(result) ? 'an array' : typeof result}, not an object`,
    };
  }
  const merged: RowData = {};
  for (const source of [data, result]) {
    for (const [k, v] of Object.entries(source)) {
      Object.defineProperty(merged, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  return { ok: true, data: merged };
}

/** A row as stored: its data and the bookkeeping the API shows (Contract v2, "Entities"). */
export interface StoredRow {
  entity: string;
  id: string;
  /** The partner that wrote the row; only it may change or delete it. */
  owner: string;
  version: number;
  /** ISO 8601 of the last change. */
  updatedAt: string;
  data: RowData;
  /** Partners other than the owner that may read the row: receivers of integrations that routed it. */
  readers: string[];
  deliveries: RowDelivery[];
  /** The version each integration last sent (FinanceKey's "once per row" reads it). */
  sent: Record<string, number>;
  /**
   * Sends decided but not yet handed to the delivery engine: written with the version that caused
   * them (the outbox), cleared once their messages are stored and queued. A crash in between leaves
   * them here for sweepPendingSends.
   */
  pending: PendingSend[];
  /** How many hub-made changes (write-backs) lead from the owner's own last write to this version. */
  hops?: number;
  /** The integration whose write-back made this version, if one did. */
  writtenBy?: string;
  /**
   * The item's revision: every write bumps it and is conditioned on the one it read, so a write made
   * from an older read (two delivery outcomes at once, a settle racing an outcome) fails and retries
   * instead of overwriting the other's `deliveries` or `pending`.
   */
  rev?: number;
  /**
   * The row's incarnation: set when the row is created and kept by its versions. A row deleted and
   * written again starts at version 1 with another one, so its sends never take the ids of the old
   * row's messages (which may be another partner's). Rows stored before it existed have none.
   */
  gen?: string;
}

/** One send a row version owes an integration. */
export interface PendingSend {
  integrationId: string;
  version: number;
}

/** The most deliveries a row lists (newest kept), so a busy row's item stays bounded. */
export const MAX_ROW_DELIVERIES = 50;

/**
 * The id of the message that sends `version` of a row through an integration: the same every time,
 * so a send repeated after a crash names the message already stored instead of making a second one.
 */
export function rowMessageId(
  sha256Hex: (s: string) => string,
  row: { entity: string; id: string; gen?: string | undefined },
  send: PendingSend,
): string {
  const key = [row.entity, row.id, ...(row.gen ? [row.gen] : []), send.version, send.integrationId];
  return `msg_r${sha256Hex(JSON.stringify(key)).slice(0, 25)}`;
}

/**
 * A continuous integration's next re-send of a row (Contract v2, "Triggers": `continuous`): kept as
 * its own small item, due at a tick of the integration's schedule, so a tick reads only what is due.
 */
export interface RowTick {
  integrationId: string;
  entity: string;
  id: string;
  /** The row's owner when the tick was set: a row deleted and written again by another is not it. */
  owner: string;
  /** The row's incarnation when the tick was set (StoredRow.gen): a row written again is not it. */
  gen?: string | undefined;
  /** ISO time of the tick the re-send is due at. */
  dueAt: string;
}

/**
 * The id of the message a tick re-sends a row with: one per (row version, integration, tick), so a
 * tick repeated after a crash names the message already stored, and each later tick a new one.
 */
export function tickMessageId(
  sha256Hex: (s: string) => string,
  row: { entity: string; id: string; version: number; gen?: string | undefined },
  tick: Pick<RowTick, 'integrationId' | 'dueAt'>,
): string {
  const key = [
    row.entity,
    row.id,
    ...(row.gen ? [row.gen] : []),
    row.version,
    tick.integrationId,
    tick.dueAt,
  ];
  return `msg_t${sha256Hex(JSON.stringify(key)).slice(0, 25)}`;
}

/** One send of a row, as `GET /v1/entities/{entity}/{id}` lists it. */
export interface RowDelivery {
  integrationId: string;
  /** Absent when nothing was sent (`skipped`: the hop limit). */
  messageId?: string;
  version: number;
  status: string;
  at: string;
  response?: string;
  error?: string;
}

/**
 * `If-Match: "<version>"` read as the version it names; absent is undefined. A weak tag or a bare
 * number is accepted (clients differ); anything else is a 400, since guessing could overwrite a row.
 */
export function parseIfMatch(header: string | undefined): number | undefined | 'invalid' {
  if (header === undefined || header === '') return undefined;
  const m = /^(?:W\/)?"?([1-9][0-9]{0,14})"?$/.exec(header.trim());
  return m?.[1] ? Number(m[1]) : 'invalid';
}

export type PutDecision =
  | { kind: 'create' }
  | { kind: 'update'; version: number }
  | { kind: 'unchanged' }
  | { kind: 'notFound' }
  | { kind: 'preconditionFailed'; current?: number };

/**
 * What a PUT of `data` by `caller` does to `existing`: another partner's row is not found (as if it
 * did not exist, so ids of others' rows cannot be probed by their answers beyond that); If-Match must
 * name the current version (a row that does not exist has none); an identical body (same canonical
 * JSON) changes nothing and triggers nothing.
 */
export function decidePut(
  existing: Pick<StoredRow, 'owner' | 'version' | 'data'> | undefined,
  caller: string,
  data: RowData,
  ifMatch: number | undefined,
): PutDecision {
  if (existing && existing.owner !== caller) return { kind: 'notFound' };
  if (ifMatch !== undefined && existing?.version !== ifMatch)
    return { kind: 'preconditionFailed', current: existing?.version };
  if (!existing) return { kind: 'create' };
  if (canonicalJson(existing.data) === canonicalJson(data)) return { kind: 'unchanged' };
  return { kind: 'update', version: existing.version + 1 };
}

/** Whether `partner` may read the row: its owner, or a receiver an integration routed it to. */
export const mayRead = (row: Pick<StoredRow, 'owner' | 'readers'>, partner: string): boolean =>
  row.owner === partner || row.readers.includes(partner);
