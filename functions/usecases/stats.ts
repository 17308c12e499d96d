import type { RegistryRepository } from '../adapters/registry.js';
import type { DeliveryStats } from '../adapters/stats.js';
import type { Clock } from '../core/clock.js';
import { OPEN_STATUSES } from '../core/delivery-state.js';
import { badRequest } from '../core/errors.js';
import {
  DEFAULT_STATS_WINDOW_MS,
  healthOf,
  hourStart,
  STATS_RETENTION_DAYS,
  summarize,
} from '../core/stats.js';
import { recordMetric } from '../observability.js';

export interface StatsPorts {
  stats: Pick<DeliveryStats, 'hours' | 'openSince' | 'oldestIn'>;
  registry: Pick<RegistryRepository, 'getIntegration'>;
  clock: Clock;
}

/**
 * GET /admin/stats: the hourly counters from the hour of `since` (default 24 hours ago) to now, the
 * deliveries now waiting for a retry (and held) of messages received since then, and when the oldest
 * message with an undelivered delivery was received. A since older than the counters are kept is 400.
 */
export async function deliveryStatistics(ports: StatsPorts, q: { since?: string | undefined }) {
  const now = ports.clock.now();
  const asked = q.since ? Date.parse(q.since) : now - DEFAULT_STATS_WINDOW_MS;
  if (asked < now - STATS_RETENTION_DAYS * 86_400_000) {
    throw badRequest(
      'invalid_parameter',
      `since may be at most ${STATS_RETENTION_DAYS} days ago: the statistics are kept that long.`,
    );
  }
  if (asked > now) throw badRequest('invalid_parameter', 'since is in the future.');
  const since = new Date(hourStart(asked)).toISOString();
  const [hours, retrying, held, oldest] = await Promise.all([
    ports.stats.hours(hourStart(asked), now),
    ports.stats.openSince('retrying', since),
    ports.stats.openSince('held', since),
    oldestReceivedIn(ports.stats, [...OPEN_STATUSES, 'held']),
  ]);
  const totals = summarize(hours, retrying, held);
  const oldestUndeliveredAt = oldest;
  const integrations = await Promise.all(
    totals.integrations.map(async (e) => ({
      ...e,
      health: healthOf(await ports.registry.getIntegration(e.integrationId)),
    })),
  );
  return {
    since,
    accepted: totals.accepted,
    delivered: totals.delivered,
    failed: totals.failed,
    retrying: totals.retrying,
    held: held.length,
    ...(oldestUndeliveredAt ? { oldestUndeliveredAt } : {}),
    integrations,
  };
}

/** When the oldest message with a delivery in one of `statuses` was received: one index item per status. */
async function oldestReceivedIn(
  stats: Pick<DeliveryStats, 'oldestIn'>,
  statuses: readonly string[],
): Promise<string | undefined> {
  const oldest = await Promise.all(statuses.map((s) => stats.oldestIn(s)));
  return oldest.filter((t): t is string => t !== undefined).sort()[0];
}

/**
 * The deliveries the age alarm watches: waiting for a retry (a failing or rate-limiting partner) and
 * held (a disabled endpoint), which the hub has tried or stopped. `queued` is left out: a queued row is
 * a pull delivery waiting for its receiver (the receiver's pace, or its schedule's) or an attempt under
 * way; a push job not yet claimed has no row at all, and the queue's own age covers it.
 */
export const STALLED_STATUSES = ['retrying', 'held'] as const;

/**
 * Records `OldestUndeliveredAgeMs`: how long ago the oldest message with a retrying or held delivery
 * was received (0 when there is none), from the index read GET /admin/stats makes. Answers the age.
 */
export async function recordOldestUndeliveredAge(
  ports: Pick<StatsPorts, 'stats' | 'clock'>,
): Promise<number> {
  const oldest = await oldestReceivedIn(ports.stats, STALLED_STATUSES);
  const age = oldest ? Math.max(0, ports.clock.now() - Date.parse(oldest)) : 0;
  recordMetric('OldestUndeliveredAgeMs', age);
  return age;
}
