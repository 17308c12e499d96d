import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../../route-types.js';
import { MessageViewSchema } from '../views.js';

/** The operator's view of messages (handlers: functions/http/admin/messages.ts). */

const IdParams = z.object({ id: z.string() });

export const getMessageAsAdmin = {
  method: 'GET',
  path: '/admin/messages/{id}',
  auth: 'admin',
  params: IdParams,
  handler: h('http/admin/messages.ts', 'getMessageAsAdmin'),
  summary: 'A message with every delivery and attempt',
  uses: ['messages:read'],
  responses: { 200: { description: 'the message', schema: MessageViewSchema }, 404: 'unknown message' },
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
