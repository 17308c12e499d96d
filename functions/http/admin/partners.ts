import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { systemRandom } from '../../core/random.js';
import { registry } from '../../deps.js';
import * as route from '../../routes/admin/partners.js';
import * as partners from '../../usecases/partners.js';
import { edge } from '../edge.js';

/** The operator's partners and their API keys. */

const ports = () => ({
  adminKey: adminKey(),
  registry: registry(),
  clock: systemClock,
  random: systemRandom,
});

export const createPartner = edge(route.createPartner, ports, ({ body }, p) =>
  partners.registerPartner(p, body),
);

export const listPartners = edge(route.listPartners, ports, async (_, p) => ({
  partners: await partners.listPartners(p),
}));

export const getPartner = edge(route.getPartner, ports, ({ params }, p) =>
  partners.partnerWithKeys(p, params.code),
);

/** The key is in this answer only. */
export const createKey = edge(route.createKey, ports, ({ params, body }, p) =>
  partners.issueKey(p, params.code, body),
);

export const revokeKey = edge(route.revokeKey, ports, ({ params }, p) =>
  partners.revokeKey(p, params.code, params.id),
);
