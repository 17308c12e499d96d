import { systemClock } from '../core/clock.js';
import { rowAdapters } from '../deps.js';
import { logger } from '../observability.js';
import { sweepPendingSends } from '../usecases/entities.js';

/**
 * Runs every minute: hands on the sends that a writer stored on a row but died before queuing. A row
 * in the outbox index is normally there for milliseconds (its writer clears it), so an idle run is one
 * empty Query.
 */
export async function handler(): Promise<{ settled: number }> {
  const settled = await sweepPendingSends({ ...rowAdapters(), clock: systemClock });
  if (settled > 0) logger.info('row sends recovered from the outbox', { settled });
  return { settled };
}
