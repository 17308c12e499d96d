import { adminKey } from '../../adapters/admin-key.js';
import { deliveryQueue, messages, registry } from '../../deps.js';
import * as route from '../../routes/admin/messages.js';
import { messageForOperator, retryFailedDeliveries } from '../../usecases/admin-messages.js';
import { edge } from '../edge.js';

/** The operator's view of a message, and the retry of its failed deliveries. */

const ports = () => ({
  adminKey: adminKey(),
  messages: messages(),
  registry: registry(),
  queue: deliveryQueue(),
});

export const getMessageAsAdmin = edge(route.getMessageAsAdmin, ports, ({ params }, p) =>
  messageForOperator(p, params.id),
);

export const retryMessage = edge(route.retryMessage, ports, async ({ params }, p) => ({
  retried: await retryFailedDeliveries(p, params.id),
}));
