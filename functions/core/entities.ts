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
