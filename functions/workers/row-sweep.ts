import { systemClock } from '../core/clock.js';
import { deliveryStats, failedDeliveries, jobs, rowAdapters } from '../deps.js';
import { logger, withMetrics } from '../observability.js';
import { sendDueTicks } from '../usecases/continuous.js';
import { sweepPendingSends } from '../usecases/entities.js';
import { workReplayJobs } from '../usecases/replay.js';
import { recordOldestUndeliveredAge } from '../usecases/stats.js';

/** Re-sends are started for this long per run (the function has 60 s); the rest wait for the next. */
const TICK_BUDGET_MS = 40_000;

/**
 * Runs every minute: hands on the sends that a writer stored on a row but died before queuing, then
 * works the running replay jobs (POST /admin/messages/retry) a bounded slice further, and sends the
 * rows whose continuous integrations are due. A row in the outbox index is normally there for
 * milliseconds (its writer clears it), a job only while it runs, and a tick reads only what is due,
 * so an idle run is three empty Queries. Each run also records the age of the oldest undelivered
 * delivery (retrying or held; two one-item index reads), the metric the age alarm watches, and
 * publishes the run's metrics.
 */
export const handler = withMetrics(sweepRows);

async function sweepRows(): Promise<{ settled: number; restarted: number; resent: number }> {
  const adapters = rowAdapters();
  const ports = { ...adapters, clock: systemClock };
  // All three run to their end even when one throws; then the run fails with the first error.
  const swept = sweepPendingSends(ports);
  const replayed = workReplayJobs({
    messages: adapters.messages,
    registry: adapters.registry,
    queue: adapters.queue,
    jobs: jobs(),
    failed: failedDeliveries(),
    clock: systemClock,
  });
  const resent = sendDueTicks(ports, { until: systemClock.now() + TICK_BUDGET_MS });
  const aged = recordOldestUndeliveredAge({ stats: deliveryStats(), clock: systemClock });
  const [a, b, c, d] = await Promise.allSettled([swept, replayed, resent, aged]);
  for (const r of [a, b, c, d]) if (r.status === 'rejected') throw r.reason;
  const settled = a.status === 'fulfilled' ? a.value : 0;
  const restarted = b.status === 'fulfilled' ? b.value : 0;
  const ticks = c.status === 'fulfilled' ? c.value : { sent: 0, stopped: 0, failed: 0, skipped: 0 };
  if (settled > 0) logger.info('row sends recovered from the outbox', { settled });
  if (restarted > 0) logger.info('replay jobs restarted deliveries', { restarted });
  if (ticks.sent + ticks.stopped + ticks.failed + ticks.skipped > 0)
    logger.info('continuous re-sends', { ...ticks });
  return { settled, restarted, resent: ticks.sent };
}
