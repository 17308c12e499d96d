import { systemClock } from '../core/clock.js';
import { rowAdapters } from '../deps.js';
import { logger } from '../observability.js';
import { sendDueTicks } from '../usecases/continuous.js';
import { sweepPendingSends } from '../usecases/entities.js';

/** Re-sends are started for this long per run (the function has 60 s); the rest wait for the next. */
const TICK_BUDGET_MS = 40_000;

/**
 * Runs every minute: hands on the sends that a writer stored on a row but died before queuing, then
 * sends the rows whose continuous integrations are due. A row in the outbox index is normally there
 * for milliseconds (its writer clears it), and a tick reads only what is due, so an idle run is two
 * empty Queries.
 */
export async function handler(): Promise<{ settled: number; resent: number }> {
  const ports = { ...rowAdapters(), clock: systemClock };
  const settled = await sweepPendingSends(ports);
  if (settled > 0) logger.info('row sends recovered from the outbox', { settled });
  const ticks = await sendDueTicks(ports, { until: systemClock.now() + TICK_BUDGET_MS });
  if (ticks.sent + ticks.stopped + ticks.failed > 0) logger.info('continuous re-sends', { ...ticks });
  return { settled, resent: ticks.sent };
}
