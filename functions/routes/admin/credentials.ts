import * as z from 'zod/mini';
import { CredentialsInputSchema } from '../../core/credentials.js';
import { h, type RouteDefinition } from '../../route-types.js';

/** A partner's Basic credentials for the 3PL token API (handler: functions/http/admin/credentials.ts). */

export const putCredentials = {
  method: 'PUT',
  path: '/admin/partners/{code}/credentials',
  auth: 'admin',
  params: z.object({ code: z.string() }),
  body: CredentialsInputSchema,
  handler: h('http/admin/credentials.ts', 'putCredentials'),
  summary:
    'Set a partner’s Basic credentials for the 3PL token API (password stored as scrypt; ends earlier tokens)',
  uses: ['registry:write'],
  responses: {
    204: 'set',
    400: 'invalid body',
    404: 'unknown partner',
    409: 'the username belongs to another partner',
  },
} satisfies RouteDefinition;
