import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeInline, encodeInline, INLINE_MAX_STORED_BYTES } from '../../functions/core/inline-payload.js';
import { cachedIntegrations } from '../../functions/usecases/deliver.js';

describe('inline payloads', () => {
  const order = JSON.stringify({
    orderNo: 'SO-1001',
    lines: Array.from({ length: 30 }, (_, i) => ({
      sku: `SKU-${1000 + i}`,
      qty: i % 7,
      description: 'Widget, blue',
    })),
  });

  it('deflates a typical document and gives back the same bytes', () => {
    const inline = encodeInline(Buffer.from(order));
    expect(inline?.deflated).toBe(true);
    expect(inline?.bytes.length).toBeLessThan(order.length / 3);
    expect(Buffer.from(decodeInline(inline as NonNullable<typeof inline>)).toString()).toBe(order);
  });

  it('keeps tiny or incompressible documents as they are, and sends big ones to S3', () => {
    expect(encodeInline(Buffer.from('{"a":1}'))).toMatchObject({ deflated: false });
    const noise = randomBytes(3000);
    const kept = encodeInline(noise);
    expect(kept?.deflated).toBe(false);
    expect(Buffer.compare(Buffer.from(decodeInline(kept as NonNullable<typeof kept>)), noise)).toBe(0);
    expect(encodeInline(randomBytes(INLINE_MAX_STORED_BYTES + 1))).toBeUndefined();
    expect(encodeInline(Buffer.alloc(INLINE_MAX_STORED_BYTES * 20, 32))).toBeUndefined();
  });
});

describe('the worker’s integration cache', () => {
  it('reads an integration at most once per second of the injected clock', async () => {
    let now = 0;
    let reads = 0;
    const get = cachedIntegrations(
      async () => {
        reads++;
        return undefined;
      },
      { now: () => now },
    );
    await get('int_1');
    await get('int_1');
    now = 999;
    await get('int_1');
    expect(reads).toBe(1);
    now = 1000;
    await get('int_1');
    await get('int_2');
    expect(reads).toBe(3);
  });
});
