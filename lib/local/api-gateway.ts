import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { RouteDefinition } from '../../functions/routes.js';

export interface CompiledRoute {
  route: RouteDefinition;
  pattern: RegExp;
  names: string[];
}

/** Turns `/admin/partners/{code}` (or `/console/{proxy+}`) into a matcher, as API Gateway's route selection does. */
export function compileRoutes(routes: readonly RouteDefinition[]): CompiledRoute[] {
  return routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{(\w+)(\\\+)?\}/g, (_m, name: string, greedy?: string) => {
        names.push(name);
        // `{proxy+}` takes the rest of the path, slashes included, as API Gateway's greedy variable does.
        return greedy ? '(.+)' : '([^/]+)';
      });
    // One trailing slash is the same route, as API Gateway routes `/odata/` to `GET /odata` (CDK
    // refuses a route path that ends in `/`; OData's service root is named with one).
    return { route, pattern: new RegExp(`^${source}/?$`), names };
  });
}

/**
 * The route a request takes, with its path parameters decoded. A path whose %-escapes do not decode
 * (`%zz`, a lone `%`, or bytes that are not UTF-8 such as `%ff%fe`) names no route and no parameter:
 * 'bad-request', which the gateway answers itself with 400, before any function runs.
 */
export function matchRoute(
  compiled: readonly CompiledRoute[],
  method: string,
  path: string,
):
  | { route: RouteDefinition; params: Record<string, string> }
  | 'method-not-allowed'
  | 'bad-request'
  | undefined {
  if (!decodesAsUtf8(path)) return 'bad-request';
  let pathMatched = false;
  for (const c of compiled) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (c.route.method !== method) continue;
    const params: Record<string, string> = {};
    c.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route: c.route, params };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}

function decodesAsUtf8(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** The media types an HTTP API hands to Lambda as a string; every other body arrives base64-encoded. */
const TEXT_MEDIA_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

/**
 * Whether API Gateway (HTTP API, payload format 2.0) passes a body of this Content-Type to the
 * function as a string (`isBase64Encoded: false`) rather than base64. AWS documents only that the
 * encoding is inferred from the Content-Type and that binary bodies are base64-encoded; the split,
 * as measured against real HTTP APIs: `text/*`, `application/json`, `application/xml` and
 * `application/javascript` are text when they carry no parameter or only `charset=utf-8`; any other
 * type, no Content-Type, `application/x-www-form-urlencoded`, `multipart/form-data` and a text type
 * with another charset (`text/plain; charset=iso-8859-1`) are base64.
 */
export function isDeliveredAsText(contentType: string | undefined): boolean {
  const [type = '', ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (!type.startsWith('text/') && !TEXT_MEDIA_TYPES.has(type)) return false;
  const given = params.filter((p) => p !== '');
  return given.length === 0 || (given.length === 1 && /^charset\s*=\s*"?utf-8"?$/.test(given[0] ?? ''));
}

/** Builds the HTTP API (payload format 2.0) event that API Gateway would hand the function. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: RouteDefinition,
  params: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (k === 'cookie') cookies.push(...String(v).split(/;\s*/));
    else headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const requestId = randomUUID();
  const text = isDeliveredAsText(headers['content-type']);
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length ? { pathParameters: params } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    // A text body travels as a JSON string: bytes that are not UTF-8 cannot survive that, and become
    // U+FFFD here as they would on AWS (which documents nothing better). Binary bodies arrive intact.
    ...(body.length
      ? { body: text ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !text }
      : { isBase64Encoded: false }),
  };
}

/** A Lambda context good enough for middy and Powertools. */
export function lambdaContext(functionName: string, timeoutSeconds = 30): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
