import { describe, expect, it } from 'vitest';
import {
  allowedFrom,
  canTransition,
  DELIVERY_STATUSES,
  isFinished,
  statusAfter,
} from '../../functions/core/delivery-state.js';

describe('delivery state machine', () => {
  it('lets open deliveries (queued, retrying) be attempted, and only those', () => {
    expect(allowedFrom('claim')).toEqual(['queued', 'retrying']);
    expect(DELIVERY_STATUSES.filter((s) => !isFinished(s))).toEqual(['queued', 'retrying', 'held']);
    for (const t of ['retry', 'deliver', 'fail', 'deadLetter'] as const) {
      expect(canTransition('delivered', t)).toBe(false);
      expect(canTransition('failed', t)).toBe(false);
      expect(canTransition('held', t)).toBe(false);
      expect(canTransition('queued', t)).toBe(true);
      expect(canTransition('retrying', t)).toBe(true);
    }
  });

  it('ends an attempt retrying, delivered or failed; a dead letter fails it', () => {
    expect(statusAfter('retry')).toBe('retrying');
    expect(statusAfter('deliver')).toBe('delivered');
    expect(statusAfter('fail')).toBe('failed');
    expect(statusAfter('deadLetter')).toBe('failed');
  });

  it('restarts only a failed delivery, as queued', () => {
    expect(allowedFrom('restart')).toEqual(['failed']);
    expect(statusAfter('restart')).toBe('queued');
    for (const s of ['queued', 'retrying', 'delivered'] as const)
      expect(canTransition(s, 'restart')).toBe(false);
  });

  it('holds only an open delivery, and releases a held one as queued, without an attempt', () => {
    expect(allowedFrom('hold')).toEqual(['queued', 'retrying']);
    expect(statusAfter('hold')).toBe('held');
    expect(allowedFrom('release')).toEqual(['held']);
    expect(statusAfter('release')).toBe('queued');
    expect(canTransition('held', 'claim')).toBe(false);
    expect(isFinished('held')).toBe(false);
    for (const s of ['delivered', 'failed'] as const) expect(canTransition(s, 'hold')).toBe(false);
  });
});
