import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { operationalEvents } from '../../deps.js';
import * as route from '../../routes/admin/events.js';
import { listEvents as list } from '../../usecases/events.js';
import { edge } from '../edge.js';

/** The operator's operational events. */
export const listEvents = edge(
  route.listEvents,
  () => ({ adminKey: adminKey(), events: operationalEvents(), clock: systemClock }),
  ({ query }, p) => list(p, query),
);
