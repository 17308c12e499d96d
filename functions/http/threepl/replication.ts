import * as z from 'zod/mini';
import { systemClock } from '../../core/clock.js';
import { MAX_LINES, MAX_REPLICATION_BODY_BYTES, parseReplicationPost } from '../../core/replication.js';
import { invalidContentType, isAcceptedContentType } from '../../core/tokens.js';
import {
  communications,
  credentials,
  deliveryQueue,
  fieldDictionaries,
  messages,
  payloads,
  registry,
} from '../../deps.js';
import { storeMessage } from '../../usecases/accept-message.js';
import { filterSession } from '../../usecases/filters.js';
import { acceptReplicationPost, authenticateAccessToken } from '../../usecases/replication.js';
import { parseJsonBody } from '../validation.js';
import { BEARER_CHALLENGE, ok, threeplHandler } from './respond.js';

/** POST /v1/replicationpost (seed 002): a post of replication lines → its CommunicationID. */
export const replicationPost = threeplHandler(
  async (req) => {
    if (!isAcceptedContentType(req.headers['content-type'])) throw invalidContentType();
    const grant = await authenticateAccessToken(
      { credentials: credentials(), clock: systemClock },
      req.headers.authorization,
    );
    // parseJsonBody refuses prototype keys, empty bodies and bytes that are not UTF-8 (the face's own
    // Content-Type rule ran above); the lines are checked one by one after.
    const post = parseReplicationPost(parseJsonBody(z.unknown(), req, { anyContentType: true }));
    const stores = { messages: messages(), payloads: payloads(), queue: deliveryQueue(), clock: systemClock };
    const accepted = await acceptReplicationPost(
      {
        registry: registry(),
        fields: fieldDictionaries(),
        communications: communications(),
        store: (m, routed) => storeMessage(stores, m, routed),
        admits: filterSession(),
        clock: systemClock,
      },
      grant.partnerCode,
      post,
    );
    return ok({ CommunicationID: accepted.communicationId });
  },
  {
    challenge: BEARER_CHALLENGE,
    maxBodyBytes: MAX_REPLICATION_BODY_BYTES,
    bodyTooLargeHint: `Send at most ${MAX_LINES} lines per post, in several posts if need be.`,
  },
);
