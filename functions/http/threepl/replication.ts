import * as z from 'zod/mini';
import { systemClock } from '../../core/clock.js';
import { parseReplicationPost } from '../../core/replication.js';
import {
  communications,
  credentials,
  deliveryQueue,
  enablements,
  fieldDictionaries,
  messages,
  payloads,
  registry,
} from '../../deps.js';
import * as route from '../../routes/threepl/replication.js';
import { storeMessage } from '../../usecases/accept-message.js';
import { filterSession } from '../../usecases/filters.js';
import { acceptReplicationPost } from '../../usecases/replication.js';
import { edge } from '../edge.js';
import { refusalRecorder } from '../refusals.js';
import { parseJsonBody } from '../validation.js';
import { ok } from './respond.js';

const ports = () => {
  // Lines become messages through the same storeMessage as POST /v1/messages.
  const stores = { messages: messages(), payloads: payloads(), queue: deliveryQueue(), clock: systemClock };
  return {
    tokens: credentials(),
    refusals: refusalRecorder(),
    registry: registry(),
    enablements: enablements(),
    fields: fieldDictionaries(),
    communications: communications(),
    store: (...[m, routed]: Parameters<typeof storeMessage> extends [unknown, ...infer R] ? R : never) =>
      storeMessage(stores, m, routed),
    clock: systemClock,
  };
};

/** POST /v1/replicationpost (seed 002): a post of replication lines → its CommunicationID. */
export const replicationPost = edge(
  route.replicationPost,
  ports,
  async ({ body, caller }, p) => {
    // A filter session per post: a filter that overran once counts false for the post's other lines.
    const accepted = await acceptReplicationPost({ ...p, admits: filterSession() }, caller.partnerCode, body);
    return ok({ CommunicationID: accepted.communicationId });
  },
  {
    // Read as JSON (prototype keys, empty bodies and bytes that are not UTF-8 are refused; the face's
    // Content-Type rule ran before), then checked line by line, so a 400 names every line and field.
    readBody: (req) => parseReplicationPost(parseJsonBody(z.unknown(), req, { anyContentType: true })),
  },
);
