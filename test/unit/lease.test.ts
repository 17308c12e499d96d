import { describe, expect, it } from 'vitest';
import {
  canComplete,
  isLeasable,
  newLease,
  scopeOfHandle,
  visibilitySeconds,
} from '../../functions/core/lease.js';

describe('leases', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');

  it('issues unguessable handles that name their scope', () => {
    const a = newLease('int_1', now, 30);
    const b = newLease('int_1', now, 30);
    expect(a.receiptHandle).not.toBe(b.receiptHandle);
    expect(scopeOfHandle(a.receiptHandle)).toBe('int_1');
    expect(a.leaseUntil).toBe(now + 30_000);
    expect(scopeOfHandle('no-dot')).toBeUndefined();
    expect(scopeOfHandle('int_1.short')).toBeUndefined();
  });

  it('hides an item until its lease ends, then offers it again (clock injected)', () => {
    const lease = newLease('s', now, 60);
    expect(isLeasable({}, now)).toBe(true);
    expect(isLeasable(lease, now + 59_999)).toBe(false);
    expect(isLeasable(lease, now + 60_000)).toBe(true);
  });

  it('lets only the latest handle complete, and only while its lease lasts', () => {
    const lease = newLease('s', now, 60);
    expect(canComplete(lease, lease.receiptHandle, now + 1000)).toBe(true);
    expect(canComplete(lease, lease.receiptHandle, now + 60_000)).toBe(false);
    expect(canComplete(lease, newLease('s', now, 60).receiptHandle, now)).toBe(false);
  });

  it('reads visibilityTimeout within 1 s to 12 h, default 15 minutes', () => {
    expect(visibilitySeconds(undefined)).toBe(900);
    expect(visibilitySeconds('30')).toBe(30);
    for (const bad of ['0', '-1', '1.5', '43201', 'abc']) expect(visibilitySeconds(bad)).toBeUndefined();
  });
});
