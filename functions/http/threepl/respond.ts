import { HubError } from '../../core/errors.js';
import { ThreeplError } from '../../core/tokens.js';
import {
  type ErrorBody,
  type HandlerOptions,
  type HubRequest,
  type HubResponse,
  httpHandler,
} from '../middleware.js';

/**
 * The 3PL face's answers (seed 002): every one, errors included, is JSON
 * `{"ResponseCode": <the HTTP status>, "ResponseMessage": "…", …}`. A 5xx says only that the fault is
 * ours; the middleware logs the cause.
 */

const SERVER_ERROR = 'Server error: an error was detected on our side; retry later.';

/** RFC 6749 §5.2 error codes for the OAuth token endpoint, from the hub's error codes. */
const OAUTH_ERRORS: Record<string, string> = {
  invalid_credentials: 'invalid_client',
  too_many_failures: 'temporarily_unavailable',
  invalid_request: 'invalid_request',
  unsupported_grant_type: 'unsupported_grant_type',
  payload_too_large: 'invalid_request',
};

export interface ThreeplOptions extends Pick<HandlerOptions, 'maxBodyBytes' | 'bodyTooLargeHint'> {
  /** `WWW-Authenticate` on a 401 (RFC 9110 §11.6.1). */
  challenge: string;
  /** The OAuth token endpoint also carries RFC 6749's `error` and `error_description`. */
  oauth?: boolean;
}

function errorFields(status: number, code: string, message: string, oauth: boolean): Record<string, unknown> {
  const ResponseMessage = status >= 500 ? SERVER_ERROR : message;
  return {
    ResponseCode: status,
    ResponseMessage,
    ...(oauth
      ? {
          error: status >= 500 ? 'server_error' : (OAUTH_ERRORS[code] ?? 'invalid_request'),
          error_description: ResponseMessage,
        }
      : {}),
  };
}

/** Wraps a 3PL handler: errors become the face's body, with the headers their status calls for. */
export function threeplHandler(fn: (req: HubRequest) => Promise<HubResponse>, options: ThreeplOptions) {
  const oauth = options.oauth ?? false;
  const errorBody: ErrorBody = (status, code, message) => errorFields(status, code, message, oauth);
  return httpHandler(
    async (req) => {
      try {
        return await fn(req);
      } catch (e) {
        // 5xx are left to the middleware, which logs them and answers through errorBody.
        if (!(e instanceof HubError) || e.status >= 500) throw e;
        const details = e instanceof ThreeplError ? e.details : {};
        const headers: Record<string, string> = { 'cache-control': 'no-store' };
        if (e.status === 401) headers['www-authenticate'] = options.challenge;
        if (details.retryAfterSeconds !== undefined)
          headers['retry-after'] = String(details.retryAfterSeconds);
        return {
          status: e.status,
          headers,
          json: {
            ...errorFields(e.status, e.code, e.message, oauth),
            ...(details.errors
              ? {
                  Errors: details.errors.map((x) => ({
                    ...(x.line !== undefined ? { Line: x.line } : {}),
                    Field: x.field,
                    Message: x.message,
                  })),
                }
              : {}),
          },
        };
      }
    },
    {
      errorBody,
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.bodyTooLargeHint !== undefined ? { bodyTooLargeHint: options.bodyTooLargeHint } : {}),
    },
  );
}

/** A 200 in the face's shape. */
export const ok = (fields: Record<string, unknown>, headers?: Record<string, string>): HubResponse => ({
  status: 200,
  json: { ResponseCode: 200, ResponseMessage: 'OK', ...fields },
  ...(headers ? { headers } : {}),
});

export const BASIC_CHALLENGE = 'Basic realm="crossdock", charset="UTF-8"';
export const BEARER_CHALLENGE = 'Bearer realm="crossdock"';
/** Token answers must not be cached (RFC 6749 §5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
