import { discardEvents } from '../../core/events.js';
import * as route from '../../routes/admin/enablements.js';
import * as use from '../../usecases/enablements.js';
import { edge } from '../edge.js';
import { registryPorts } from './registry-ports.js';

/** The operator's view of enablements, and its consent queue. */

// The operator's consent tells nothing; no event is emitted here.
const ports = () => ({ ...registryPorts(), events: discardEvents });

export const listEnablementsAsAdmin = edge(route.listEnablementsAsAdmin, ports, async ({ query }, p) => ({
  enablements: await use.listForOperator(p, query),
}));

export const consentAsAdmin = edge(route.consentAsAdmin, ports, ({ params, body }, p) =>
  use.consentAsOperator(p, params.id, body),
);
