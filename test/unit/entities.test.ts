import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { canonicalJson, mergeWriteBack, RowPathSchema } from '../../functions/core/entities.js';

describe('entity rows', () => {
  it('accepts the contract’s names and ids and refuses others', () => {
    expect(z.safeParse(RowPathSchema, { entity: 'Invoice', id: 'INV-2026:0001' }).success).toBe(true);
    for (const bad of [
      { entity: '1nvoice', id: 'a' },
      { entity: 'in voice', id: 'a' },
      { entity: 'x'.repeat(129), id: 'a' },
      { entity: 'invoice', id: '' },
      { entity: 'invoice', id: 'a/b' },
      { entity: 'invoice', id: 'x'.repeat(257) },
    ]) {
      expect(z.safeParse(RowPathSchema, bad).success, JSON.stringify(bad).slice(0, 40)).toBe(false);
    }
  });

  it('sees bodies that differ only in key order as identical, and any value change as a change', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('merges an object write-back by top-level keys, refuses anything else, and never pollutes', () => {
    const row = { status: 'APPROVED', total: 10 };
    expect(mergeWriteBack(row, { exportRef: 'X-1', status: 'EXPORTED' })).toEqual({
      ok: true,
      data: { status: 'EXPORTED', total: 10, exportRef: 'X-1' },
    });
    expect(mergeWriteBack(row, [1])).toMatchObject({ ok: false, reason: /an array/ });
    expect(mergeWriteBack(row, 'x')).toMatchObject({ ok: false, reason: /string/ });
    const polluting = JSON.parse('{"__proto__":{"polluted":1}}');
    const merged = mergeWriteBack(row, polluting);
    expect(merged.ok && Object.getOwnPropertyDescriptor(merged.data, '__proto__')?.value).toEqual({
      polluted: 1,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
