import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../route-types.js';

/** What anyone may read: liveness and the API's own description. */

export const health = {
  method: 'GET',
  path: '/health',
  auth: 'none',
  handler: h('http/system.ts', 'health'),
  summary: 'Liveness and version',
  uses: [],
  responses: {
    200: { description: 'alive', schema: z.object({ status: z.literal('ok'), version: z.string() }) },
  },
} satisfies RouteDefinition;

export const openapi = {
  method: 'GET',
  path: '/openapi.json',
  auth: 'none',
  handler: h('http/system.ts', 'openapi'),
  summary: 'This document',
  uses: [],
  responses: {
    200: {
      description: 'OpenAPI 3.1, generated from the schemas that validate requests and answers',
      schema: z.looseObject({
        openapi: z.literal('3.1.0'),
        info: z.looseObject({ title: z.string(), version: z.string() }),
        paths: z.record(z.string(), z.unknown()),
      }),
    },
  },
} satisfies RouteDefinition;
