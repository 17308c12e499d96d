import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { discardEvents } from '../../core/events.js';
import { systemRandom } from '../../core/random.js';
import { enablements, registry } from '../../deps.js';
import * as route from '../../routes/admin/enablements.js';
import * as use from '../../usecases/enablements.js';
import { edge } from '../edge.js';

/** The operator's view of enablements, and its consent queue. */

const ports = () => ({
  adminKey: adminKey(),
  registry: registry(),
  enablements: enablements(),
  clock: systemClock,
  random: systemRandom,
  // The operator's consent tells nothing; no event is emitted here.
  events: discardEvents,
});

export const listEnablementsAsAdmin = edge(route.listEnablementsAsAdmin, ports, async ({ query }, p) => ({
  enablements: await use.listForOperator(p, query),
}));

export const consentAsAdmin = edge(route.consentAsAdmin, ports, ({ params, body }, p) =>
  use.consentAsOperator(p, params.id, body),
);
