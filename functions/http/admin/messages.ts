import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { deliveryQueue, messageLog, messages, payloads, registry } from '../../deps.js';
import * as route from '../../routes/admin/messages.js';
import {
  messageForOperator,
  messageLog as readLog,
  retryFailedDeliveries,
} from '../../usecases/admin-messages.js';
import { readPayloadAsOperator } from '../../usecases/message-reads.js';
import { answer, byRouteKey, edge } from '../edge.js';

/** The operator's view of a message, and the retry of its failed deliveries. */

const ports = () => ({ adminKey: adminKey(), messages: messages() });
// Only the retry's function is bound to the registry and the delivery queues.
const retryPorts = () => ({ ...ports(), registry: registry(), queue: deliveryQueue() });

/** The document goes back with its sender's type, never sniffed (as on GET /v1/messages/{id}/payload). */
const NO_SNIFF = { 'x-content-type-options': 'nosniff' } as const;

/** A message, and its document: one function (the console reads both for its message page). */
export const messageAsAdmin = byRouteKey([
  [
    route.getMessageAsAdmin,
    edge(route.getMessageAsAdmin, ports, ({ params }, p) => messageForOperator(p, params.id)),
  ],
  [
    route.getPayloadAsAdmin,
    edge(
      route.getPayloadAsAdmin,
      () => ({ adminKey: adminKey(), messages: messages(), payloads: payloads() }),
      async ({ params }, p) => {
        const document = await readPayloadAsOperator(p, params.id);
        if ('redirect' in document)
          return answer({ status: 307, headers: { ...NO_SNIFF, location: document.redirect } });
        return answer({
          status: 200,
          headers: NO_SNIFF,
          raw: { body: document.body, contentType: document.contentType },
        });
      },
    ),
  ],
]);

export const retryMessage = edge(route.retryMessage, retryPorts, async ({ params }, p) => ({
  retried: await retryFailedDeliveries(p, params.id),
}));

export const listMessages = edge(
  route.listMessages,
  () => ({ adminKey: adminKey(), messages: messages(), log: messageLog(), clock: systemClock }),
  ({ query }, p) => readLog(p, query),
);
