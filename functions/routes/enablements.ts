import * as z from 'zod/mini';
import { ENABLEMENT_STATUSES, ScheduleSchema } from '../core/enablements.js';
import { h, type RouteDefinition } from '../route-types.js';

/**
 * A client's enablements of managed integrations (Contract v2, "Enablements"; seed 004; handlers:
 * functions/http/enablements.ts). A client sees its own only; another's id is 404.
 */

export const EnablementSchema = z.object({
  id: z.string(),
  integrationId: z.string(),
  partner: z.string(),
  status: z.enum(ENABLEMENT_STATUSES),
  schedule: z.nullable(z.number()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const ConsentSchema = z.strictObject({
  granted: z.boolean(),
  note: z.optional(z.string().check(z.maxLength(1024))),
});
const IdParams = z.object({ id: z.string().check(z.maxLength(1024)) });
/**
 * Every route on an existing enablement is one function (http/enablements.ts `ownEnablements`, chosen
 * by route key), so each declares the function's uses. POST /v1/enablements has its own, since only
 * it tells the operator (the events topic).
 */
const OWN_USES = ['registry:write'] as const;
const clientKey = { auth: 'apiKey', scope: 'messages', orScope: 'entities' } as const;

export const enable = {
  method: 'POST',
  path: '/v1/enablements',
  ...clientKey,
  body: z.strictObject({
    integrationId: z.string().check(z.maxLength(256)),
    schedule: z.optional(ScheduleSchema),
  }),
  handler: h('http/enablements.ts', 'enable'),
  summary: 'Switch a managed integration on for the calling client',
  // A pending enablement is told to the operator (enablement.pending: kept, and published).
  uses: ['registry:write', 'messages:write', 'eventsTopic:publish'],
  responses: {
    201: { description: 'the enablement: active, or pending consent', schema: EnablementSchema },
    400: 'schedule set on an integration that is not clientScheduleEditable',
    404: 'unknown integration, or not managed',
    409: 'already enabled by this client',
  },
} satisfies RouteDefinition;

export const listEnablements = {
  method: 'GET',
  path: '/v1/enablements',
  ...clientKey,
  handler: h('http/enablements.ts', 'ownEnablements'),
  summary: "The calling client's enablements",
  uses: OWN_USES,
  responses: {
    200: { description: 'its enablements', schema: z.object({ enablements: z.array(EnablementSchema) }) },
  },
} satisfies RouteDefinition;

export const getEnablement = {
  method: 'GET',
  path: '/v1/enablements/{id}',
  ...clientKey,
  params: IdParams,
  handler: h('http/enablements.ts', 'ownEnablements'),
  summary: 'One of the calling client’s enablements',
  uses: OWN_USES,
  responses: {
    200: { description: 'the enablement', schema: EnablementSchema },
    404: 'unknown, or another client’s',
  },
} satisfies RouteDefinition;

export const patchEnablement = {
  method: 'PATCH',
  path: '/v1/enablements/{id}',
  ...clientKey,
  params: IdParams,
  body: z.strictObject({ schedule: ScheduleSchema }),
  handler: h('http/enablements.ts', 'ownEnablements'),
  summary: 'Set the client’s own schedule (minutes; null for the integration’s)',
  uses: OWN_USES,
  responses: {
    200: { description: 'the enablement', schema: EnablementSchema },
    400: 'the integration is not clientScheduleEditable',
    404: 'unknown, or another client’s',
    409: 'changed by another request meanwhile',
  },
} satisfies RouteDefinition;

export const disable = {
  method: 'DELETE',
  path: '/v1/enablements/{id}',
  ...clientKey,
  params: IdParams,
  handler: h('http/enablements.ts', 'ownEnablements'),
  summary: 'Switch it off: nothing routes for the client, its queued deliveries end failed',
  uses: OWN_USES,
  responses: { 204: 'disabled', 404: 'unknown, or another client’s' },
} satisfies RouteDefinition;

export const consent = {
  method: 'POST',
  path: '/v1/enablements/{id}/consent',
  ...clientKey,
  params: IdParams,
  body: ConsentSchema,
  handler: h('http/enablements.ts', 'ownEnablements'),
  summary: 'The receiver grants or refuses consent (consentType Receiver)',
  uses: OWN_USES,
  responses: {
    200: { description: 'the enablement, active or rejected', schema: EnablementSchema },
    404: 'unknown, or the caller is not the integration’s receiver, or consent is not the receiver’s',
    409: 'already rejected (the client enables again to ask anew), or changed meanwhile',
  },
} satisfies RouteDefinition;
