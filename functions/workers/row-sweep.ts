import { systemClock } from '../core/clock.js';
import { failedDeliveries, jobs, rowAdapters } from '../deps.js';
import { logger } from '../observability.js';
import { sweepPendingSends } from '../usecases/entities.js';
import { workReplayJobs } from '../usecases/replay.js';

/**
 * Runs every minute: hands on the sends that a writer stored on a row but died before queuing, then
 * works the running replay jobs (POST /admin/messages/retry) a bounded slice further. A row in the
 * outbox index is normally there for milliseconds (its writer clears it), and a job only while it
 * runs, so an idle run is two empty Queries.
 */
export async function handler(): Promise<{ settled: number; restarted: number }> {
  const adapters = rowAdapters();
  // Both halves run to their end even when one throws; then the run fails with the first error.
  const swept = sweepPendingSends({ ...adapters, clock: systemClock });
  const replayed = workReplayJobs({
    messages: adapters.messages,
    registry: adapters.registry,
    queue: adapters.queue,
    jobs: jobs(),
    failed: failedDeliveries(),
    clock: systemClock,
  });
  const [a, b] = await Promise.allSettled([swept, replayed]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  const settled = a.value;
  const restarted = b.value;
  if (settled > 0) logger.info('row sends recovered from the outbox', { settled });
  if (restarted > 0) logger.info('replay jobs restarted deliveries', { restarted });
  return { settled, restarted };
}
