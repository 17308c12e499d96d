import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../../route-types.js';
import { instant, wholeNumberParam } from '../schemas.js';
import { MessageSourceSchema, MessageViewSchema } from '../views.js';

/** The operator's view of messages (handlers: functions/http/admin/messages.ts). */

const IdParams = z.object({ id: z.string() });

const LogEntrySchema = z.object({
  id: z.string(),
  status: z.enum(['accepted', 'pending', 'delivered', 'failed']),
  sender: z.string(),
  receiver: z.string(),
  doctype: z.string(),
  version: z.string(),
  size: z.number(),
  receivedAt: z.string(),
  source: z.optional(MessageSourceSchema),
  deliveries: z.array(
    z.object({
      integrationId: z.string(),
      status: z.string(),
      attempts: z.number(),
      lastStatusCode: z.optional(z.number()),
      nextAttemptAt: z.optional(z.string()),
    }),
  ),
});

export const listMessages = {
  method: 'GET',
  path: '/admin/messages',
  auth: 'admin',
  query: z.object({
    sender: z.optional(z.string()),
    receiver: z.optional(z.string()),
    partner: z.optional(z.string()),
    doctype: z.optional(z.string()),
    status: z.optional(z.enum(['accepted', 'pending', 'delivered', 'failed'])),
    integrationId: z.optional(z.string()),
    since: instant('since'),
    until: instant('until'),
    limit: wholeNumberParam(1, 100, 'limit must be an integer from 1 to 100.', 50),
    cursor: z.optional(z.string().check(z.maxLength(4096))),
  }),
  handler: h('http/admin/messages.ts', 'listMessages'),
  summary: 'The message log, newest first, filtered and paged by cursor (limit ≤ 100, default 50)',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'a page of messages and the cursor of the next, if any',
      schema: z.object({ messages: z.array(LogEntrySchema), nextCursor: z.optional(z.string()) }),
    },
    400: 'a bad filter, limit or cursor',
  },
} satisfies RouteDefinition;

export const getMessageAsAdmin = {
  method: 'GET',
  path: '/admin/messages/{id}',
  auth: 'admin',
  params: IdParams,
  handler: h('http/admin/messages.ts', 'messageAsAdmin'),
  summary: 'A message with every delivery and attempt',
  uses: ['messages:read', 'payloads:read'],
  responses: { 200: { description: 'the message', schema: MessageViewSchema }, 404: 'unknown message' },
} satisfies RouteDefinition;

export const getPayloadAsAdmin = {
  method: 'GET',
  path: '/admin/messages/{id}/payload',
  auth: 'admin',
  params: IdParams,
  handler: h('http/admin/messages.ts', 'messageAsAdmin'),
  summary:
    'Any message’s document, with its original content type and x-content-type-options: nosniff (the console’s preview and download); shares its function with GET /admin/messages/{id}',
  uses: ['messages:read', 'payloads:read'],
  responses: {
    200: { description: 'the document', contentType: '*/*' },
    307: 'a document over 4 MiB: Location is a presigned S3 GET, valid 15 minutes',
    404: 'unknown message',
  },
} satisfies RouteDefinition;

export const retryMessage = {
  method: 'POST',
  path: '/admin/messages/{id}/retry',
  auth: 'admin',
  params: IdParams,
  handler: h('http/admin/messages.ts', 'retryMessage'),
  summary: 'Start failed deliveries again from attempt 1',
  uses: ['registry:read', 'messages:write', 'deliveryQueue:send', 'orderedDeliveryQueue:send'],
  responses: {
    202: {
      description: 'the integrations whose deliveries start again',
      schema: z.object({ retried: z.array(z.string()) }),
    },
    404: 'unknown message',
  },
} satisfies RouteDefinition;
