import * as z from 'zod/mini';
import { CreateKeySchema, CreatePartnerSchema, SCOPES } from '../../core/partners.js';
import { h, type RouteDefinition } from '../../route-types.js';

/** The operator's partners and their API keys (handlers: functions/http/admin/partners.ts). */

const PartnerSchema = z.object({ code: z.string(), name: z.string(), createdAt: z.string() });
const KeyFields = {
  id: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  mobileUser: z.optional(z.string()),
  label: z.optional(z.string()),
  createdAt: z.string(),
};
const KeySchema = z.object({ ...KeyFields, partnerCode: z.string(), revokedAt: z.optional(z.string()) });
const IssuedKeySchema = z.object({ ...KeyFields, key: z.string() });
const CodeParams = z.object({ code: z.string() });

export const createPartner = {
  method: 'POST',
  path: '/admin/partners',
  auth: 'admin',
  body: CreatePartnerSchema,
  handler: h('http/admin/partners.ts', 'createPartner'),
  summary: 'Register a partner',
  uses: ['registry:write'],
  responses: {
    201: { description: 'the partner', schema: PartnerSchema },
    400: 'invalid body',
    409: 'code exists (codes are unique regardless of case)',
  },
} satisfies RouteDefinition;

export const listPartners = {
  method: 'GET',
  path: '/admin/partners',
  auth: 'admin',
  handler: h('http/admin/partners.ts', 'listPartners'),
  summary: 'List partners',
  uses: ['registry:read'],
  responses: {
    200: { description: 'every partner', schema: z.object({ partners: z.array(PartnerSchema) }) },
  },
} satisfies RouteDefinition;

export const getPartner = {
  method: 'GET',
  path: '/admin/partners/{code}',
  auth: 'admin',
  params: CodeParams,
  handler: h('http/admin/partners.ts', 'getPartner'),
  summary: 'A partner with its keys (never the keys themselves)',
  uses: ['registry:read'],
  responses: {
    200: {
      description: 'the partner and its keys',
      schema: z.extend(PartnerSchema, { keys: z.array(KeySchema) }),
    },
    404: 'unknown partner',
  },
} satisfies RouteDefinition;

export const createKey = {
  method: 'POST',
  path: '/admin/partners/{code}/keys',
  auth: 'admin',
  params: CodeParams,
  body: CreateKeySchema,
  bodyOptional: true,
  handler: h('http/admin/partners.ts', 'createKey'),
  summary: 'Issue an API key (shown once)',
  uses: ['registry:write'],
  responses: {
    201: { description: 'the key, shown only here', schema: IssuedKeySchema },
    400: 'invalid body',
    404: 'unknown partner',
  },
} satisfies RouteDefinition;

export const revokeKey = {
  method: 'DELETE',
  path: '/admin/partners/{code}/keys/{id}',
  auth: 'admin',
  params: z.object({ code: z.string(), id: z.string() }),
  handler: h('http/admin/partners.ts', 'revokeKey'),
  summary: 'Revoke an API key at once',
  uses: ['registry:write'],
  responses: { 204: 'revoked', 404: 'unknown partner or key' },
} satisfies RouteDefinition;
