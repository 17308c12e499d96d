import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../route-types.js';
import { MAX_MESSAGE_BYTES } from '../usecases/accept-message.js';
import { Envelope } from './envelope.js';
import { AcceptedSchema } from './views.js';

/** Seed 000's POST /v1/messages (handler: functions/http/messages.ts). */

export const postMessage = {
  method: 'POST',
  path: '/v1/messages',
  auth: 'apiKey',
  scope: 'messages',
  query: z.object(Envelope),
  rawBody: '*/*',
  maxBodyBytes: MAX_MESSAGE_BYTES,
  bodyTooLargeHint: 'Send larger documents with POST /v1/messages/uploads.',
  handler: h('http/messages.ts', 'postMessage'),
  summary: 'Send a document (seed 000): stored, routed and delivered',
  uses: ['messages:write', 'payloads:write', 'deliveryQueue:send', 'orderedDeliveryQueue:send'],
  responses: {
    202: { description: 'accepted', schema: AcceptedSchema },
    200: { description: 'the same Idempotency-Key again: the first message', schema: AcceptedSchema },
    400: 'missing parameter, empty body, or a doctype (≤ 450) or version (≤ 64) too long or with control characters',
    403: 'key revoked, unknown, without the messages scope, or not the sender’s',
    404: 'unknown receiver',
    409: 'Idempotency-Key reused with a different body, receiver, doctype, version or content type',
    413: 'over the size limit',
    422: 'no active Outbound integration routes this message',
  },
  // Accepting is I/O-bound: 256 MB holds a 4 MiB body and its copies (decoded, deflated, hashed).
} satisfies RouteDefinition;
