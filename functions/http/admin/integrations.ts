import { deliveryQueue, eventSink } from '../../deps.js';
import * as route from '../../routes/admin/integrations.js';
import { enableIntegration } from '../../usecases/health.js';
import * as integrations from '../../usecases/integrations.js';
import { byRouteKey, edge } from '../edge.js';
import { registryPorts as ports } from './registry-ports.js';

/** The integration registry (seed 004): signing secrets are shown once, at creation and rotation. */

export const createIntegration = edge(route.createIntegration, ports, ({ body }, p) =>
  integrations.registerIntegration(p, body),
);

export const listIntegrations = edge(route.listIntegrations, ports, async (_, p) => ({
  integrations: await integrations.listIntegrations(p),
}));

export const getIntegration = edge(route.getIntegration, ports, ({ params }, p) =>
  integrations.integration(p, params.id),
);

/** The merged result must pass every rule again. */
export const patchIntegration = edge(route.patchIntegration, ports, ({ params, body }, p) =>
  integrations.patchIntegration(p, params.id, body),
);

/** A disabled integration's held deliveries are handed to the delivery workers, which end them. */
const deletePorts = () => ({ ...ports(), queue: deliveryQueue() });

export const deleteIntegration = edge(route.deleteIntegration, deletePorts, ({ params }, p) =>
  integrations.deleteIntegration(p, params.id),
);

const rotateSecret = edge(route.rotateSecret, ports, ({ params, body }, p) =>
  integrations.rotateSecret(p, params.id, body.overlapSeconds),
);

/** Enable also tells the operator and hands the held deliveries to the delivery workers. */
const actionPorts = () => ({ ...ports(), queue: deliveryQueue(), events: eventSink() });

const enable = edge(route.enableIntegration, actionPorts, ({ params }, p) => enableIntegration(p, params.id));

/** The actions on one integration: one function, each route with its own edge wrapper. */
export const integrationActions = byRouteKey([
  [route.rotateSecret, rotateSecret],
  [route.enableIntegration, enable],
]);
