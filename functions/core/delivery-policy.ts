import type { Random } from './clock.js';

export type AttemptOutcome = 'delivered' | 'retry' | 'fail';

/** Network errors, timeouts, 408, 425, 429 and 5xx are worth another try; other 4xx and all 3xx are not. */
export function classifyAttempt(statusCode: number | undefined): AttemptOutcome {
  if (statusCode === undefined) return 'retry';
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 408 || statusCode === 425 || statusCode === 429 || statusCode >= 500) return 'retry';
  return 'fail';
}

/**
 * Seconds to wait before the next attempt, or undefined when `attemptsMade` used up the schedule.
 * The scheduled delay is jittered by up to ±10 % so that a partner's recovery is not met by a
 * thundering herd; a Retry-After header may lengthen the wait, but never past the next step's
 * scheduled time plus its own length (it stays within the schedule) or SQS's 12-hour limit.
 */
export function nextRetryDelaySeconds(
  schedule: readonly number[],
  attemptsMade: number,
  random: Random,
  retryAfterSeconds?: number,
): number | undefined {
  const scheduled = schedule[attemptsMade - 1];
  if (scheduled === undefined) return undefined;
  const jitter = scheduled * 0.1 * (random() * 2 - 1);
  let delay = Math.round(scheduled + jitter);
  if (retryAfterSeconds !== undefined && retryAfterSeconds > delay) {
    delay = Math.min(retryAfterSeconds, scheduled * 2, 43_200);
  }
  return Math.max(0, Math.min(delay, 43_200));
}

/** Reads Retry-After as seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}
