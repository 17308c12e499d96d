import * as z from 'zod/mini';
import { OAUTH, THREEPL } from '../../http/faces/threepl.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { Answer } from './answer.js';

/** The 3PL token API (seed 002) (handlers: functions/http/threepl/tokens.ts). */

export const generateToken = {
  method: 'GET',
  path: '/v1/generatetoken',
  auth: 'basic',
  face: THREEPL,
  handler: h('http/threepl/tokens.ts', 'generateToken'),
  summary: 'An access token for Basic credentials (ExpirationMs: the token’s lifetime in milliseconds)',
  uses: ['registry:write'],
  responses: {
    200: {
      description: 'the token',
      schema: z.object({ ...Answer, AccessToken: z.string(), ExpirationMs: z.number() }),
    },
    429: 'too many failed logins for this username (Retry-After)',
  },
} satisfies RouteDefinition;

export const oauthToken = {
  method: 'POST',
  path: '/oauth2/token',
  auth: 'basic',
  face: OAUTH,
  rawBody: 'application/x-www-form-urlencoded',
  handler: h('http/threepl/tokens.ts', 'oauthToken'),
  summary:
    'RFC 6749 client credentials grant: grant_type=client_credentials, client id/secret = the 3PL credentials (Basic or in the form)',
  uses: ['registry:write'],
  responses: {
    200: {
      description: 'the token; expires_in in seconds',
      schema: z.object({
        ...Answer,
        access_token: z.string(),
        token_type: z.literal('Bearer'),
        expires_in: z.number(),
      }),
    },
    400: 'invalid_request or unsupported_grant_type',
    429: 'too many failed logins for this client id (Retry-After)',
  },
} satisfies RouteDefinition;
