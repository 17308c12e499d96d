import * as z from 'zod/mini';
import { HEALTH_STATES } from '../../core/health.js';
import { IntegrationInputSchema, IntegrationPatchSchema } from '../../core/integration.js';
import { h, type RouteDefinition } from '../../route-types.js';

/** The integration registry (seed 004) (handlers: functions/http/admin/integrations.ts). */

const described = <T extends z.ZodMiniType>(schema: T, description: string): T => {
  z.globalRegistry.add(schema, { description });
  return schema;
};

const IntegrationSchema = z.extend(IntegrationInputSchema, {
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  previousSecretValidUntil: z.optional(z.string()),
  // Endpoint health (Contract v2): the hub's, never set by a POST or PATCH.
  health: described(
    z.enum(HEALTH_STATES),
    '`disabled` once every delivery ended failed, none delivered, for autoDisableAfterHours (Outbound push/notify only); its deliveries then wait as `held` until POST /admin/integrations/{id}/enable. `active` stays as the operator set it.',
  ),
  disabledAt: z.optional(described(z.string(), 'when health became disabled')),
  disabledReason: z.optional(described(z.string(), 'why, capped at 1,024 characters')),
  failingSince: z.optional(
    described(
      z.string(),
      'when the first delivery ended failed since the last delivered one: the window that autoDisableAfterHours measures (absent while deliveries succeed)',
    ),
  ),
});
const IdParams = z.object({ id: z.string() });

/**
 * The actions on one integration (rotate-secret, enable) share one function (http/admin/integrations.ts
 * `integrationActions`, chosen by route key), so both declare its uses: enable tells the operator
 * (`integration.enabled`: kept in the messages table and published) and hands the held deliveries
 * to the delivery workers (a release job on the delivery queue).
 */
const INTEGRATION_ACTION_USES = [
  'registry:write',
  'messages:write',
  'eventsTopic:publish',
  'deliveryQueue:send',
] as const;

export const RotateSecretSchema = z.strictObject({
  overlapSeconds: z.optional(z.int().check(z.gte(0), z.lte(30 * 86400))),
});

export const createIntegration = {
  method: 'POST',
  path: '/admin/integrations',
  auth: 'admin',
  body: IntegrationInputSchema,
  handler: h('http/admin/integrations.ts', 'createIntegration'),
  summary: 'Register an integration (the signing secret is shown once)',
  uses: ['registry:write'],
  responses: {
    201: {
      description: 'the integration and its signing secret, shown only here',
      schema: z.extend(IntegrationSchema, { secret: z.string() }),
    },
    400: 'a rule is violated (the message names the field)',
    409: 'duplicate name',
  },
} satisfies RouteDefinition;

export const listIntegrations = {
  method: 'GET',
  path: '/admin/integrations',
  auth: 'admin',
  handler: h('http/admin/integrations.ts', 'listIntegrations'),
  summary: 'List integrations',
  uses: ['registry:read'],
  responses: {
    200: { description: 'every integration', schema: z.object({ integrations: z.array(IntegrationSchema) }) },
  },
} satisfies RouteDefinition;

export const getIntegration = {
  method: 'GET',
  path: '/admin/integrations/{id}',
  auth: 'admin',
  params: IdParams,
  handler: h('http/admin/integrations.ts', 'getIntegration'),
  summary: 'An integration',
  uses: ['registry:read'],
  responses: {
    200: {
      description: 'the integration; with a defaultSchedule, nextRunAt is its next tick',
      schema: z.extend(IntegrationSchema, { nextRunAt: z.optional(z.string()) }),
    },
    404: 'unknown integration',
  },
} satisfies RouteDefinition;

export const patchIntegration = {
  method: 'PATCH',
  path: '/admin/integrations/{id}',
  auth: 'admin',
  params: IdParams,
  body: IntegrationPatchSchema,
  handler: h('http/admin/integrations.ts', 'patchIntegration'),
  summary: 'Change an integration; the result must pass every rule',
  uses: ['registry:write'],
  responses: {
    200: { description: 'the integration', schema: IntegrationSchema },
    400: 'a rule is violated',
    404: 'unknown integration',
    409: 'duplicate name',
  },
} satisfies RouteDefinition;

export const deleteIntegration = {
  method: 'DELETE',
  path: '/admin/integrations/{id}',
  auth: 'admin',
  params: IdParams,
  handler: h('http/admin/integrations.ts', 'deleteIntegration'),
  summary: 'Delete an integration',
  // deliveryQueue: a disabled integration's held deliveries are released, and end failed.
  uses: ['registry:write', 'deliveryQueue:send'],
  responses: {
    204: 'deleted; deliveries it held (health disabled) then end failed, "The integration was deleted."',
    404: 'unknown integration',
    409: 'a managed integration that clients have enabled (delete their enablements first)',
  },
} satisfies RouteDefinition;

export const rotateSecret = {
  method: 'POST',
  path: '/admin/integrations/{id}/rotate-secret',
  auth: 'admin',
  params: IdParams,
  body: RotateSecretSchema,
  bodyOptional: true,
  handler: h('http/admin/integrations.ts', 'integrationActions'),
  summary: 'Rotate the signing secret; both secrets sign until the old one expires',
  uses: INTEGRATION_ACTION_USES,
  responses: {
    200: {
      description: 'the new secret, shown only here, and when the previous one stops signing',
      schema: z.object({ secret: z.string(), previousValidUntil: z.string() }),
    },
    404: 'unknown integration',
  },
} satisfies RouteDefinition;

export const enableIntegration = {
  method: 'POST',
  path: '/admin/integrations/{id}/enable',
  auth: 'admin',
  params: IdParams,
  handler: h('http/admin/integrations.ts', 'integrationActions'),
  summary: 'Enable an integration that endpoint health disabled; its held deliveries go out in arrival order',
  uses: INTEGRATION_ACTION_USES,
  responses: {
    200: {
      description:
        'the integration, health ok. Sets health to ok and clears disabledAt, disabledReason and failingSince, tells `integration.enabled`, and hands the held deliveries to the delivery workers, which release them oldest first in slices of at most 500 per invocation and send them in arrival order (strictly one at a time for parallel=false; a parallel integration starts them in that order, up to batchSize at once). Each keeps the attempts it had: being held used none. An integration whose health is ok is answered as it is (nothing changes; held deliveries are looked for again, and none are found).',
      schema: IntegrationSchema,
    },
    404: 'unknown integration',
  },
} satisfies RouteDefinition;
