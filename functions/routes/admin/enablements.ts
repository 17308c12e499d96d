import * as z from 'zod/mini';
import { ENABLEMENT_STATUSES } from '../../core/enablements.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { ConsentSchema, EnablementSchema } from '../enablements.js';

/** The operator's view of enablements and its consent queue (handlers: functions/http/admin/enablements.ts). */

/** The operator also sees who changed each enablement, when, and how. */
const EnablementHistorySchema = z.extend(EnablementSchema, {
  direction: z.optional(z.enum(['Outbound', 'Inbound'])),
  history: z.array(
    z.object({ at: z.string(), by: z.string(), action: z.string(), note: z.optional(z.string()) }),
  ),
});

export const listEnablementsAsAdmin = {
  method: 'GET',
  path: '/admin/enablements',
  auth: 'admin',
  query: z.object({
    integrationId: z.optional(z.string()),
    partner: z.optional(z.string()),
    status: z.optional(z.enum(ENABLEMENT_STATUSES)),
  }),
  handler: h('http/admin/enablements.ts', 'listEnablementsAsAdmin'),
  summary: 'Enablements, filtered; status=pending_consent is the consent queue',
  uses: ['registry:read'],
  responses: {
    200: {
      description: 'the enablements with their history',
      schema: z.object({ enablements: z.array(EnablementHistorySchema) }),
    },
    400: 'an unknown status',
  },
} satisfies RouteDefinition;

export const consentAsAdmin = {
  method: 'POST',
  path: '/admin/enablements/{id}/consent',
  auth: 'admin',
  params: z.object({ id: z.string().check(z.maxLength(1024)) }),
  body: ConsentSchema,
  handler: h('http/admin/enablements.ts', 'consentAsAdmin'),
  summary: 'The operator grants or refuses any enablement',
  uses: ['registry:write'],
  responses: {
    200: { description: 'the enablement, active or rejected', schema: EnablementHistorySchema },
    404: 'unknown enablement',
    409: 'already rejected, or changed meanwhile',
  },
} satisfies RouteDefinition;
