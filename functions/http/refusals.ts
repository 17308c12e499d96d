import { systemClock } from '../core/clock.js';
import { refusals, registry } from '../deps.js';
import { recordRefusal } from '../usecases/refusals.js';
import type { RefusalPort } from './edge.js';

/**
 * The port through which the edge keeps what a partner-facing route refuses (functions/http/edge.ts):
 * every handler of a route with a key or a 3PL token puts it in its ports as `refusals`.
 */
export const refusalRecorder = (): RefusalPort => ({
  record: (refused, requestId) =>
    recordRefusal({ registry: registry(), refusals: refusals(), clock: systemClock }, refused, requestId),
});
