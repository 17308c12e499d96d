import { describe, expect, it } from 'vitest';
import {
  classifyAttempt,
  nextRetryDelaySeconds,
  parseRetryAfter,
} from '../../functions/core/delivery-policy.js';
import { DEFAULT_RETRY_SCHEDULE, retryScheduleOf } from '../../functions/core/integration.js';
import type { OutboundFailureReason } from '../../functions/core/outbound.js';

describe('delivery policy', () => {
  const answered = (status: number) => ({ kind: 'answered' as const, status });
  const failed = (reason: OutboundFailureReason) => ({ kind: 'failed' as const, reason });

  it('retries network errors, 408, 425, 429 and 5xx; fails other 4xx and all 3xx at once', () => {
    expect(classifyAttempt(failed('network'))).toBe('retry');
    for (const s of [408, 425, 429, 500, 502, 503, 504]) expect(classifyAttempt(answered(s))).toBe('retry');
    for (const s of [400, 401, 403, 404, 410, 422, 301, 302, 307, 308])
      expect(classifyAttempt(answered(s))).toBe('fail');
    for (const s of [200, 201, 202, 204]) expect(classifyAttempt(answered(s))).toBe('delivered');
  });

  it('retries timeouts and failed connections; fails a blocked address or an invalid URL at once', () => {
    for (const reason of ['timeout', 'connect', 'network'] as const) {
      expect(classifyAttempt(failed(reason))).toBe('retry');
    }
    for (const reason of ['blocked', 'invalid-url'] as const)
      expect(classifyAttempt(failed(reason))).toBe('fail');
  });

  it('defaults to four attempts at 0 h, 1 h, 7 h and 19 h: all within 24 hours', () => {
    const schedule = retryScheduleOf({ maxAttempts: 4 });
    expect(schedule).toEqual(DEFAULT_RETRY_SCHEDULE);
    const times = [0];
    for (const step of schedule) times.push((times.at(-1) ?? 0) + step);
    expect(times.map((t) => t / 3600)).toEqual([0, 1, 7, 19]);
  });

  it('spreads other attempt counts within 24 hours and SQS’s 12-hour step', () => {
    for (const maxAttempts of [2, 3, 6, 20]) {
      const schedule = retryScheduleOf({ maxAttempts });
      expect(schedule).toHaveLength(maxAttempts - 1);
      expect(schedule.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(86_400);
      for (const step of schedule) expect(step).toBeLessThanOrEqual(43_200);
    }
  });

  it('jitters each step by at most 10 % and stops after the last', () => {
    const schedule = [3600, 21600, 43200];
    expect(nextRetryDelaySeconds(schedule, 1, () => 0)).toBe(3240);
    expect(nextRetryDelaySeconds(schedule, 1, () => 0.5)).toBe(3600);
    expect(nextRetryDelaySeconds(schedule, 1, () => 0.999_999)).toBe(3960);
    expect(nextRetryDelaySeconds(schedule, 3, () => 0.999_999)).toBe(43_200);
    expect(nextRetryDelaySeconds(schedule, 4, () => 0.5)).toBeUndefined();
  });

  it('lets Retry-After lengthen a wait, but not beyond twice the step or 12 hours', () => {
    expect(nextRetryDelaySeconds([60], 1, () => 0.5, 90)).toBe(90);
    expect(nextRetryDelaySeconds([60], 1, () => 0.5, 10_000)).toBe(120);
    expect(nextRetryDelaySeconds([60], 1, () => 0.5, 5)).toBe(60);
    expect(nextRetryDelaySeconds([43_200], 1, () => 0.5, 99_999)).toBe(43_200);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
