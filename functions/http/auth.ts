import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { forbidden, unauthorized } from '../core/errors.js';
import type { ApiKeyRecord, Scope } from '../core/partners.js';
import { secretsEqual, sha256Hex } from '../core/secrets.js';
import { registry } from '../deps.js';
import { type HubRequest, type HubResponse, httpHandler } from './middleware.js';

let adminKeyHash: { value: string; loadedAt: number } | undefined;
let secrets: SecretsManagerClient | undefined;
const ADMIN_KEY_CACHE_MS = 5 * 60_000;

/**
 * The admin key's SHA-256. A deployed stage reads the key from Secrets Manager (cached for five
 * minutes, so a rotation takes effect without a deploy); the local hub passes the hash directly.
 */
async function loadAdminKeyHash(): Promise<string> {
  if (process.env.ADMIN_KEY_SHA256) return process.env.ADMIN_KEY_SHA256;
  const arn = process.env.ADMIN_KEY_SECRET_ARN;
  if (!arn) throw new Error('Configuration is incomplete: set ADMIN_KEY_SECRET_ARN or ADMIN_KEY_SHA256.');
  if (adminKeyHash && Date.now() - adminKeyHash.loadedAt < ADMIN_KEY_CACHE_MS) return adminKeyHash.value;
  secrets ??= new SecretsManagerClient({});
  const r = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
  adminKeyHash = { value: sha256Hex(r.SecretString ?? ''), loadedAt: Date.now() };
  return adminKeyHash.value;
}

export async function requireAdmin(req: HubRequest): Promise<void> {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthorized('The admin API needs Authorization: Bearer <admin key>.');
  if (!secretsEqual(match[1], await loadAdminKeyHash())) throw unauthorized('The admin key is not valid.');
}

/** The API key from `x-api-key`, or from `apikey` in the query or form (seed 000). */
export function apiKeyOf(req: HubRequest, fields: Record<string, string> = req.query): string | undefined {
  return req.headers['x-api-key'] || fields.apikey || undefined;
}

/**
 * Authenticates a partner key. Keys are looked up by their SHA-256, so no stored key is ever compared
 * byte by byte. A missing key is 401; an unknown, revoked or out-of-scope key is 403.
 */
export async function authenticateKey(key: string | undefined, scope: Scope): Promise<ApiKeyRecord> {
  if (!key) throw unauthorized();
  const record = await registry().findKeyByHash(sha256Hex(key));
  if (!record) throw forbidden('The API key is unknown or revoked.');
  if (!record.scopes.includes(scope)) throw forbidden(`The API key does not have the ${scope} scope.`);
  return record;
}

/** A route of the operator API: the admin key is checked before the handler runs. */
export const adminHandler = (fn: (req: HubRequest) => Promise<HubResponse>) =>
  httpHandler(async (req) => {
    await requireAdmin(req);
    return fn(req);
  });
