import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { deliveryQueue, messageLog, messages, registry } from '../../deps.js';
import * as route from '../../routes/admin/messages.js';
import {
  messageForOperator,
  messageLog as readLog,
  retryFailedDeliveries,
} from '../../usecases/admin-messages.js';
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

export const listMessages = edge(
  route.listMessages,
  () => ({ adminKey: adminKey(), messages: messages(), log: messageLog(), clock: systemClock }),
  ({ query }, p) => readLog(p, query),
);
