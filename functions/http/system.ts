import pkg from '../../package.json' with { type: 'json' };
import { buildOpenApi } from '../openapi.js';
import * as route from '../routes/system.js';
import { consoleFile } from './console-files.js';
import { answer, byRouteKey, edge } from './edge.js';

const none = () => ({});

export const health = edge(route.health, none, async () => ({ status: 'ok', version: pkg.version }));

let document: Record<string, unknown> | undefined;
export const openapi = edge(route.openapi, none, async () => {
  document ??= buildOpenApi();
  return document;
});

export const consoleRoot = edge(route.consoleRoot, none, async () => answer(consoleFile('')));

export const consolePath = edge(route.consolePath, none, async ({ params }) =>
  answer(consoleFile(params.proxy)),
);

/** One function for what anyone may read: a function costs the stack about seven resources. */
export const system = byRouteKey([
  [route.health, health],
  [route.openapi, openapi],
  [route.consoleRoot, consoleRoot],
  [route.consolePath, consolePath],
]);
