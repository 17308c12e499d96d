import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { HubError, payloadTooLarge } from '../core/errors.js';
import { logger, withMetrics } from '../observability.js';

export { logger };

export interface HubRequest {
  method: string;
  path: string;
  pathParameters: Record<string, string>;
  query: Record<string, string>;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: Buffer;
  requestId: string;
  /** The caller's IP address as API Gateway saw it (requestContext.http.sourceIp). */
  sourceIp: string;
}

export interface HubResponse {
  status: number;
  /** A JSON value, or raw bytes with their content type. */
  json?: unknown;
  raw?: { body: Uint8Array | string; contentType: string };
  headers?: Record<string, string>;
}

/** How a face shapes its error bodies; the hub's own routes use `{"error":{code,message}}`. */
export type ErrorBody = (status: number, code: string, message: string) => unknown;
export const hubErrorBody: ErrorBody = (_status, code, message) => ({ error: { code, message } });

export interface HandlerOptions {
  /** Bodies larger than this are refused with 413 before anything reads them. */
  maxBodyBytes?: number;
  errorBody?: ErrorBody;
  bodyTooLargeHint?: string;
  /**
   * Told of every answer from 400 to 499 before it goes out, with the error's code when a typed error
   * made it (a partner's refused request, functions/usecases/refusals.ts). It must not throw.
   */
  onRefused?: (req: HubRequest, status: number, code: string | undefined) => Promise<void>;
}

const DEFAULT_MAX_BODY = 256 * 1024;

/**
 * Wraps a route handler: normalizes headers, caps and decodes the body, adds `x-request-id`, logs one
 * line per request, and maps typed errors to the face's error body. A 5xx never carries internals.
 * The metrics the request recorded are published once, as it ends.
 */
export function httpHandler(fn: (req: HubRequest) => Promise<HubResponse>, options: HandlerOptions = {}) {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const errorBody = options.errorBody ?? hubErrorBody;
  const run = async (
    event: APIGatewayProxyEventV2,
    context: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    const started = performance.now();
    let result: APIGatewayProxyStructuredResultV2;
    // The request as far as it is known before its body is read (a refusal of an oversized body
    // names it too); the body is filled in once it passed the cap.
    const req: HubRequest = {
      method: event.requestContext.http.method,
      path: event.rawPath,
      pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
      query: (event.queryStringParameters ?? {}) as Record<string, string>,
      headers: lowerCased(event.headers),
      body: Buffer.alloc(0),
      requestId,
      sourceIp: event.requestContext.http.sourceIp ?? '',
    };
    let code: string | undefined;
    try {
      const raw = event.body ?? '';
      // Checked on the encoded length first, so an oversized body is never decoded.
      const approx = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
      if (approx > maxBody + 3) throw payloadTooLarge(maxBody, options.bodyTooLargeHint ?? '');
      const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
      if (body.length > maxBody) throw payloadTooLarge(maxBody, options.bodyTooLargeHint ?? '');
      req.body = body;
      result = toResult(await fn(req));
    } catch (e) {
      if (e instanceof HubError) {
        code = e.code;
        result = toResult({ status: e.status, json: errorBody(e.status, e.code, e.message) });
      } else {
        logger.error('request failed', { error: e as Error });
        result = toResult({
          status: 500,
          json: errorBody(500, 'internal_error', 'Something went wrong on our side; retry later.'),
        });
      }
    }
    const status = result.statusCode ?? 200;
    if (options.onRefused && status >= 400 && status < 500) await options.onRefused(req, status, code);
    result.headers = { ...result.headers, 'x-request-id': requestId };
    // At DEBUG: the API's access log already has one line per request (lib/resources.ts).
    logger.debug('request', {
      method: event.requestContext.http.method,
      route: event.routeKey,
      status: result.statusCode,
      durationMs: Math.round(performance.now() - started),
    });
    return result;
  };
  // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries keys (x-api-key, apikey),
  // Authorization headers and bodies with passwords, which are never logged (shared/API.md).
  return middy(withMetrics(run)).use(injectLambdaContext(logger, { logEvent: false }));
}

/**
 * Header names in lower case (an HTTP API sends them so already; the local gateway too), in a map
 * without a prototype, since a header may have any name.
 */
function lowerCased(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

function toResult(res: HubResponse): APIGatewayProxyStructuredResultV2 {
  if (res.raw) {
    const isText = typeof res.raw.body === 'string';
    return {
      statusCode: res.status,
      headers: { 'content-type': res.raw.contentType, ...res.headers },
      body: isText ? (res.raw.body as string) : Buffer.from(res.raw.body as Uint8Array).toString('base64'),
      isBase64Encoded: !isText,
    };
  }
  if (res.json === undefined) return { statusCode: res.status, headers: { ...res.headers } };
  return {
    statusCode: res.status,
    headers: { 'content-type': 'application/json', ...res.headers },
    body: JSON.stringify(res.json),
  };
}
