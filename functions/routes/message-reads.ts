import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../route-types.js';
import { MessageViewSchema } from './views.js';

/** What a message's partners read of it (handlers: functions/http/message-reads.ts). */

const IdParams = z.object({ id: z.string() });

export const getMessage = {
  method: 'GET',
  path: '/v1/messages/{id}',
  auth: 'apiKey',
  scope: 'messages',
  params: IdParams,
  handler: h('http/message-reads.ts', 'getMessage'),
  summary:
    'A message’s status, deliveries and attempts (sender or receiver only); note: what the hub noticed after acceptance (an upload URL used again)',
  uses: ['messages:read'],
  responses: {
    200: { description: 'the message', schema: MessageViewSchema },
    404: 'unknown, or another partner’s',
  },
} satisfies RouteDefinition;

export const getPayload = {
  method: 'GET',
  path: '/v1/messages/{id}/payload',
  auth: 'apiKey',
  scope: 'messages',
  params: IdParams,
  handler: h('http/message-reads.ts', 'getPayload'),
  summary:
    'The document, with its original content type and x-content-type-options: nosniff (sender or receiver only)',
  uses: ['messages:read', 'payloads:read'],
  responses: {
    200: { description: 'the document', contentType: '*/*' },
    307: 'a document over 4 MiB: Location is a presigned S3 GET, valid 15 minutes',
    404: 'unknown, or another partner’s',
  },
} satisfies RouteDefinition;
