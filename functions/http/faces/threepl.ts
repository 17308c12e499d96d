import type { CredentialRepository } from '../../adapters/credentials.js';
import type { Clock } from '../../core/clock.js';
import { HubError } from '../../core/errors.js';
import {
  invalidContentType,
  isAcceptedContentType,
  parseBasicAuthorization,
  ThreeplError,
} from '../../core/tokens.js';
import { authenticateAccessToken } from '../../usecases/replication.js';
import type { ErrorBody, HubResponse } from '../middleware.js';
import { type FaceRules, noCheck } from './face.js';

/**
 * The 3PL face (seed 002): every answer, errors included, is `{"ResponseCode","ResponseMessage",…}`;
 * a Content-Type other than JSON is 499; callers present Basic credentials (which the token use case
 * checks) or its access tokens. A 5xx says only that the fault is ours; the envelope logs the cause.
 */

/** The 3PL's access tokens (the registry). */
export interface TokenLookup {
  tokens: Pick<CredentialRepository, 'getToken' | 'getCredential'>;
  clock: Clock;
}

const SERVER_ERROR = 'Server error: an error was detected on our side; retry later.';
export const BASIC_CHALLENGE = 'Basic realm="crossdock", charset="UTF-8"';
export const BEARER_CHALLENGE = 'Bearer realm="crossdock"';

/** RFC 6749 §5.2 error codes for the OAuth token endpoint, from the hub's error codes. */
const OAUTH_ERRORS: Record<string, string> = {
  invalid_credentials: 'invalid_client',
  too_many_failures: 'temporarily_unavailable',
  invalid_request: 'invalid_request',
  unsupported_grant_type: 'unsupported_grant_type',
  payload_too_large: 'invalid_request',
};

const bodyOf =
  (oauth: boolean): ErrorBody =>
  (status, code, message) => {
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
  };

function face(oauth: boolean): FaceRules {
  const errorBody = bodyOf(oauth);
  return {
    name: oauth ? 'oauth' : 'threepl',
    async authenticate(route, req, ports) {
      if (route.auth === 'basic') return parseBasicAuthorization(req.headers.authorization);
      if (route.auth !== 'bearerToken') throw noCheck('threepl', route);
      const { tokens, clock } = ports as TokenLookup;
      return authenticateAccessToken({ credentials: tokens, clock }, req.headers.authorization);
    },
    errorBody,
    /** A 3PL error below 500: the face's body, its line errors, and the headers its status calls for. */
    respond(e, route): HubResponse | undefined {
      if (!(e instanceof HubError) || e.status >= 500) return undefined;
      const details = e instanceof ThreeplError ? e.details : {};
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      if (e.status === 401)
        headers['www-authenticate'] = route.auth === 'basic' ? BASIC_CHALLENGE : BEARER_CHALLENGE;
      if (details.retryAfterSeconds !== undefined) headers['retry-after'] = String(details.retryAfterSeconds);
      const lines = details.errors?.map((x) => ({
        ...(x.line !== undefined ? { Line: x.line } : {}),
        Field: x.field,
        Message: x.message,
      }));
      return {
        status: e.status,
        headers,
        json: { ...(errorBody(e.status, e.code, e.message) as object), ...(lines ? { Errors: lines } : {}) },
      };
    },
    maxBodyBytes: 16 * 1024,
    anyContentType: true,
    // Seed 002's rule; the OAuth endpoint takes its form (RFC 6749) instead.
    ...(oauth
      ? {}
      : {
          before(_route, req) {
            if (!isAcceptedContentType(req.headers['content-type'])) throw invalidContentType();
          },
        }),
  };
}

export const THREEPL = face(false);
/** The OAuth token endpoint also carries RFC 6749's `error` and `error_description`. */
export const OAUTH = face(true);
