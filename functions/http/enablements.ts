import { systemClock } from '../core/clock.js';
import { systemRandom } from '../core/random.js';
import { enablements, eventSink, registry } from '../deps.js';
import * as route from '../routes/enablements.js';
import * as use from '../usecases/enablements.js';
import { byRouteKey, edge } from './edge.js';
import { refusalRecorder } from './refusals.js';

/** A client's enablements of managed integrations (Contract v2, "Enablements"). */

const ports = () => ({
  keys: registry(),
  refusals: refusalRecorder(),
  registry: registry(),
  enablements: enablements(),
  clock: systemClock,
  random: systemRandom,
  // Only POST /v1/enablements tells (enablement.pending), and only its function is bound to the topic.
  events: { emit: (e: Parameters<ReturnType<typeof eventSink>['emit']>[0]) => eventSink().emit(e) },
});

export const enable = edge(route.enable, ports, ({ body, caller }, p) =>
  use.enable(p, caller.partnerCode, body),
);

const listEnablements = edge(route.listEnablements, ports, async ({ caller }, p) => ({
  enablements: await use.listOwn(p, caller.partnerCode),
}));

const getEnablement = edge(route.getEnablement, ports, ({ params, caller }, p) =>
  use.getOwn(p, caller.partnerCode, params.id),
);

const patchEnablement = edge(route.patchEnablement, ports, ({ params, body, caller }, p) =>
  use.setSchedule(p, caller.partnerCode, params.id, body.schedule),
);

const disable = edge(route.disable, ports, ({ params, caller }, p) =>
  use.disable(p, caller.partnerCode, params.id),
);

const consent = edge(route.consent, ports, ({ params, body, caller }, p) =>
  use.consentAsReceiver(p, caller.partnerCode, params.id, body),
);

/** The routes on a client's existing enablements: one function, each route with its own edge wrapper. */
export const ownEnablements = byRouteKey([
  [route.listEnablements, listEnablements],
  [route.getEnablement, getEnablement],
  [route.patchEnablement, patchEnablement],
  [route.disable, disable],
  [route.consent, consent],
]);
