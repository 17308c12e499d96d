import pkg from '../../package.json' with { type: 'json' };
import { buildOpenApi } from '../openapi.js';
import * as route from '../routes/system.js';
import { edge } from './edge.js';

const none = () => ({});

export const health = edge(route.health, none, async () => ({ status: 'ok', version: pkg.version }));

let document: Record<string, unknown> | undefined;
export const openapi = edge(route.openapi, none, async () => {
  document ??= buildOpenApi();
  return document;
});
