import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { systemRandom } from '../../core/random.js';
import { registry, settings } from '../../deps.js';
import * as route from '../../routes/admin/integrations.js';
import * as integrations from '../../usecases/integrations.js';
import { edge } from '../edge.js';

/** The integration registry (seed 004): signing secrets are shown once, at creation and rotation. */

const ports = () => ({
  adminKey: adminKey(),
  registry: registry(),
  clock: systemClock,
  random: systemRandom,
  rules: { allowLoopback: settings().ALLOW_LOOPBACK_OUTBOUND },
});

export const createIntegration = edge(route.createIntegration, ports, async ({ body }, p) => ({
  status: 201,
  json: await integrations.registerIntegration(p, body),
}));

export const listIntegrations = edge(route.listIntegrations, ports, async (_, p) => ({
  status: 200,
  json: { integrations: await integrations.listIntegrations(p) },
}));

export const getIntegration = edge(route.getIntegration, ports, async ({ params }, p) => ({
  status: 200,
  json: await integrations.integration(p, params.id),
}));

export const patchIntegration = edge(route.patchIntegration, ports, async ({ params, body }, p) => ({
  status: 200,
  json: await integrations.patchIntegration(p, params.id, body),
}));

export const deleteIntegration = edge(route.deleteIntegration, ports, async ({ params }, p) => {
  await integrations.deleteIntegration(p, params.id);
  return { status: 204 };
});

export const rotateSecret = edge(route.rotateSecret, ports, async ({ params, body }, p) => ({
  status: 200,
  json: await integrations.rotateSecret(p, params.id, body.overlapSeconds),
}));
