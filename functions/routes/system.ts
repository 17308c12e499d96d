import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../route-types.js';

/**
 * What anyone may read: liveness, the API's own description and the operator console's files. All
 * four are one function (http/system.ts `system`, chosen by route key), so each declares its uses.
 */
const SYSTEM = h('http/system.ts', 'system');

export const health = {
  method: 'GET',
  path: '/health',
  auth: 'none',
  handler: SYSTEM,
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
  handler: SYSTEM,
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

const CONSOLE_NOTE =
  'The operator console (a single-page app; it asks for the admin key and keeps it in the tab’s sessionStorage). Served with a content security policy that allows scripts and styles from this origin only and no framing.';

export const consoleRoot = {
  method: 'GET',
  path: '/console',
  auth: 'none',
  handler: SYSTEM,
  summary: 'The operator console',
  uses: [],
  ships: ['console'],
  responses: {
    200: { description: CONSOLE_NOTE, contentType: 'text/html' },
    503: 'the console was not built into this deployment',
  },
} satisfies RouteDefinition;

export const consolePath = {
  method: 'GET',
  path: '/console/{proxy+}',
  auth: 'none',
  params: z.object({ proxy: z.string().check(z.maxLength(1024)) }),
  handler: SYSTEM,
  summary: 'The console’s files; any other path under /console is one of its pages',
  uses: [],
  ships: ['console'],
  responses: {
    200: {
      description: 'a file of the console (under assets/, cached for good: names carry a hash), or its page',
      contentType: '*/*',
    },
    404: 'no such file under /console/assets/',
    503: 'the console was not built into this deployment',
  },
} satisfies RouteDefinition;
