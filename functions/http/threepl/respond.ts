import { answer } from '../edge.js';
import type { HubResponse } from '../middleware.js';

/**
 * The 3PL face's answers (seed 002): every one is JSON `{"ResponseCode": <the HTTP status>,
 * "ResponseMessage": "…", …}`. Its errors are shaped by the face (functions/http/faces.ts).
 */

/** A 200 in the face's shape. */
export const ok = (fields: Record<string, unknown>, headers?: Record<string, string>): HubResponse =>
  answer({
    status: 200,
    json: { ResponseCode: 200, ResponseMessage: 'OK', ...fields },
    ...(headers ? { headers } : {}),
  });

/** Token answers must not be cached (RFC 6749 §5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
