import { systemClock } from '../core/clock.js';
import { enablements, messages, registry } from '../deps.js';
import * as route from '../routes/inbox.js';
import { completeInbox, leaseInbox } from '../usecases/inbox.js';
import { edge } from './edge.js';
import { refusalRecorder } from './refusals.js';
import { doneResult } from './responses.js';

/** The receiver's mailbox of pull deliveries, leased with receipt handles. */

const ports = () => ({
  keys: registry(),
  refusals: refusalRecorder(),
  registry: registry(),
  enablements: enablements(),
  messages: messages(),
  clock: systemClock,
});

export const getInbox = edge(route.getInbox, ports, async ({ query, caller }, p) => ({
  messages: await leaseInbox(p, caller.partnerCode, query.limit, query.visibilityTimeout),
}));

/** Stale handles and unknown ids are listed; the rest are done. */
export const inboxDone = edge(route.inboxDone, ports, async ({ body, caller }, p) =>
  doneResult(await completeInbox(p, caller.partnerCode, body)),
);
