import pkg from '../../package.json' with { type: 'json' };
import { buildOpenApi } from '../openapi.js';
import { httpHandler } from './middleware.js';

export const health = httpHandler(async () => ({
  status: 200,
  json: { status: 'ok', version: pkg.version },
}));

let document: Record<string, unknown> | undefined;
export const openapi = httpHandler(async () => {
  document ??= buildOpenApi();
  return { status: 200, json: document };
});
