import { forbidden } from '../../core/errors.js';
import { MAX_LEASE_BATCH } from '../../core/lease.js';
import type { ApiKeyRecord } from '../../core/partners.js';
import type { ErrorBody } from '../middleware.js';
import { type FaceRules, noCheck } from './face.js';
import { authenticateKey, type KeyLookup } from './hub.js';

/** Seed 003's shape: `{"success":false,"error":{"code","message"}}`. */
export const packetErrorBody: ErrorBody = (_status, code, message) => ({
  success: false,
  error: { code, message },
});

/**
 * The ERP and device faces (seed 003). Keys travel in `x-api-key` only (the seed names no other
 * place, and query strings end up in logs); the key's partner is the path's appArea (else 403). An
 * ERP's caller is its area; a device's the area and the path's mobile user, whom a key bound to a user
 * must name (403).
 */
export const PACKETS: FaceRules = {
  name: 'packets',
  async authenticate(route, req, ports) {
    if (route.auth !== 'apiKey') throw noCheck('packets', route);
    const key = await authenticateKey(
      req.headers['x-api-key'] || undefined,
      route.scope,
      (ports as { keys: KeyLookup }).keys,
    );
    const appArea = req.pathParameters.appArea ?? '';
    if (key.partnerCode !== appArea) throw forbidden(`The API key is not a key of the app area ${appArea}.`);
    return key;
  },
  authorize(route, caller, params) {
    const key = caller as ApiKeyRecord;
    if (route.scope !== 'device') return { appArea: key.partnerCode };
    const mobileUser = params.mobileUser as string;
    if (key.mobileUser !== undefined && key.mobileUser !== mobileUser) {
      throw forbidden('The API key is bound to another mobile user.');
    }
    return { appArea: key.partnerCode, mobileUser };
  },
  errorBody: packetErrorBody,
  // A done call carries at most MAX_LEASE_BATCH items of an id and a handle: 64 KiB is ample.
  maxBodyBytes: 64 * 1024,
  bodyTooLargeHint: `A done call takes at most ${MAX_LEASE_BATCH} items.`,
  anyContentType: true,
};
