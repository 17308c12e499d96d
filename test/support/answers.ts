import type { z } from 'zod/mini';
import { ERRORS } from '../../functions/openapi.js';
import { faceOf, routes } from '../../functions/routes.js';
import { compileRoutes, matchRoute } from '../../lib/local/api-gateway.js';

const compiled = compileRoutes(routes);

/** The first place where `given` has a property that `parsed` (what the schema kept) has not. */
function undocumented(given: unknown, parsed: unknown, at = ''): string | undefined {
  if (Array.isArray(given) && Array.isArray(parsed)) {
    for (let i = 0; i < given.length; i++) {
      const found = undocumented(given[i], parsed[i], `${at}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (given && typeof given === 'object' && parsed && typeof parsed === 'object') {
    for (const [key, value] of Object.entries(given)) {
      if (!(key in parsed)) return `${at}.${key}`;
      const found = undocumented(value, (parsed as Record<string, unknown>)[key], `${at}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Checks an answer of the hub against its route's declaration: a JSON body against the schema the
 * route declares for its status (errors against its face's error shape), with no property the schema
 * does not name. This is what keeps GET /openapi.json true: every test that calls the hub checks it.
 */
export function checkAnswer(
  method: string,
  url: string,
  status: number,
  contentType: string | null,
  json: unknown,
) {
  const match = matchRoute(compiled, method, url.split('?')[0] ?? '');
  if (!match || typeof match === 'string' || json === undefined || !/json/i.test(contentType ?? '')) return;
  const declared = match.route.responses[status];
  const schema: z.ZodMiniType | undefined =
    status >= 400
      ? ERRORS[faceOf(match.route)].schema
      : typeof declared === 'object'
        ? declared.schema
        : undefined;
  if (!schema) {
    // A document, a URL or XML: what the route declares by content type is not checked here.
    if (status < 400 && !(typeof declared === 'object' && declared.contentType))
      throw new Error(`${method} ${url} answered ${status} with JSON its route declares no schema for`);
    return;
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    throw new Error(
      `${method} ${url} answered ${status} off its declared schema: ${JSON.stringify(r.error.issues[0])}`,
    );
  }
  const extra = undocumented(json, r.data);
  if (extra)
    throw new Error(`${method} ${url} answered ${status} with ${extra}, which its schema does not name`);
}
