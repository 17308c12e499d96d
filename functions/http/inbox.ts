import { systemClock } from '../core/clock.js';
import { messages, registry } from '../deps.js';
import * as route from '../routes/inbox.js';
import { completeInbox, leaseInbox } from '../usecases/inbox.js';
import { edge } from './edge.js';
import { doneResponse } from './responses.js';

/** The receiver's mailbox of pull deliveries, leased with receipt handles. */

const ports = () => ({ keys: registry(), messages: messages(), clock: systemClock });

/** GET /v1/inbox: the receiver's waiting pull deliveries, each leased with a receipt handle. */
export const getInbox = edge(route.getInbox, ports, async ({ query, caller }, p) => ({
  status: 200,
  json: { messages: await leaseInbox(p, caller.partnerCode, query.limit, query.visibilityTimeout) },
}));

/** POST /v1/inbox/done: completes leased deliveries; stale handles and unknown ids are listed, the rest done. */
export const inboxDone = edge(route.inboxDone, ports, async ({ body, caller }, p) =>
  doneResponse(await completeInbox(p, caller.partnerCode, body)),
);
