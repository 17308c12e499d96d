import type { Random } from './clock.js';
import type { OutboundAnswer, OutboundFailure, OutboundFailureReason } from './outbound.js';

export type AttemptOutcome = 'delivered' | 'retry' | 'fail';

/**
 * Failures that the same request meets again on every try: the URL cannot be called, or its host is
 * an address the hub never calls. Retrying them would only walk the whole schedule to the same end.
 */
const FAILS_AT_ONCE: ReadonlySet<OutboundFailureReason> = new Set(['blocked', 'invalid-url']);

/**
 * What an attempt's result means, by its type: 2xx is delivered; timeouts, connection and network
 * failures, 408, 425, 429 and 5xx are worth another try; a blocked address, an invalid URL, other 4xx
 * and all 3xx are not.
 */
export function classifyAttempt(
  result: Pick<OutboundAnswer, 'kind' | 'status'> | Pick<OutboundFailure, 'kind' | 'reason'>,
): AttemptOutcome {
  if (result.kind === 'failed') return FAILS_AT_ONCE.has(result.reason) ? 'fail' : 'retry';
  const { status } = result;
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
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

/**
 * Whether an integration's batchSize can bind: whether more of its jobs than batchSize could ever be
 * in flight at once. Only the standard delivery queue's consumer makes attempts for `parallel`
 * integrations, and its event source runs at most `maxConcurrency` invocations at once, each holding
 * at most `batchSize` (the event source's) records, so at most their product of jobs, of all
 * integrations together, are in flight, duplicates of one job included. A batchSize at or above that
 * bound can never be reached, so counting against it (a permit take and a release, two write units
 * for each batch) would buy nothing. An unknown bound (`maxInFlight` undefined) is no bound: the
 * permits are taken.
 */
export function batchSizeCanBind(batchSize: number, maxInFlight: number | undefined): boolean {
  return maxInFlight === undefined || batchSize < maxInFlight;
}

/** The most records an event source can have in flight: its concurrency times its batch size. */
export function recordsInFlight(maxConcurrency: number, batchSize: number): number {
  return maxConcurrency * batchSize;
}
