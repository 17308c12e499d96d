import { forbidden, unauthorized } from '../../core/errors.js';
import type { ApiKeyRecord, Scope } from '../../core/partners.js';
import { secretsEqual, sha256Hex } from '../../core/secrets.js';
import type { HubRequest } from '../middleware.js';
import { hubErrorBody } from '../middleware.js';
import { type FaceRules, noCheck } from './face.js';

/** The admin key's digest (functions/adapters/admin-key.ts). */
export interface AdminKeyPort {
  sha256(): Promise<string>;
}

/** Partner keys, by their SHA-256 (the registry). */
export interface KeyLookup {
  findKeyByHash(sha256: string): Promise<ApiKeyRecord | undefined>;
}

export async function requireAdmin(req: HubRequest, adminKey: AdminKeyPort): Promise<void> {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthorized('The admin API needs Authorization: Bearer <admin key>.');
  if (!secretsEqual(match[1], await adminKey.sha256())) throw unauthorized('The admin key is not valid.');
}

/**
 * Authenticates a partner key. Keys are looked up by their SHA-256, so no stored key is ever compared
 * byte by byte. A missing key is 401; an unknown, revoked or out-of-scope key is 403.
 */
export async function authenticateKey(
  key: string | undefined,
  scope: Scope,
  keys: KeyLookup,
  orScope?: Scope,
) {
  if (!key) throw unauthorized();
  const record = await keys.findKeyByHash(sha256Hex(key));
  if (!record) throw forbidden('The API key is unknown or revoked.');
  if (!record.scopes.includes(scope) && !(orScope && record.scopes.includes(orScope))) {
    throw forbidden(`The API key does not have the ${orScope ? `${scope} or ${orScope}` : scope} scope.`);
  }
  return record;
}

/**
 * The hub's own face: the operator's admin key, and partner keys of the messages API, in `x-api-key`
 * or `apikey` (query or form, seed 000). Errors are `{"error":{"code","message"}}`.
 */
export const HUB: FaceRules = {
  name: 'hub',
  async authenticate(route, req, ports) {
    if (route.auth === 'none') return undefined;
    if (route.auth === 'admin') return requireAdmin(req, (ports as { adminKey: AdminKeyPort }).adminKey);
    if (route.auth !== 'apiKey') throw noCheck('hub', route);
    const key = req.headers['x-api-key'] || req.query.apikey || undefined;
    return authenticateKey(key, route.scope, (ports as { keys: KeyLookup }).keys, route.orScope);
  },
  errorBody: hubErrorBody,
  maxBodyBytes: 256 * 1024,
  anyContentType: false,
};
