import * as z from 'zod/mini';
import { IntegrationInputSchema, IntegrationPatchSchema } from '../../core/integration.js';
import { h, type RouteDefinition } from '../../route-types.js';

/** The integration registry (seed 004) (handlers: functions/http/admin/integrations.ts). */

const IntegrationSchema = z.extend(IntegrationInputSchema, {
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  previousSecretValidUntil: z.optional(z.string()),
});
const IdParams = z.object({ id: z.string() });

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
  uses: ['registry:write'],
  responses: {
    204: 'deleted',
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
  handler: h('http/admin/integrations.ts', 'rotateSecret'),
  summary: 'Rotate the signing secret; both secrets sign until the old one expires',
  uses: ['registry:write'],
  responses: {
    200: {
      description: 'the new secret, shown only here, and when the previous one stops signing',
      schema: z.object({ secret: z.string(), previousValidUntil: z.string() }),
    },
    404: 'unknown integration',
  },
} satisfies RouteDefinition;
