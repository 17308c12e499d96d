import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SETTINGS } from '../../lib/resources.js';
import { environment } from '../config.js';
import { sha256Hex } from '../core/secrets.js';

const CACHE_MS = 5 * 60_000;

/**
 * The admin key's SHA-256. A deployed stage reads the key from Secrets Manager (cached for five
 * minutes, so a rotation takes effect without a deploy); the local hub passes the hash directly.
 */
export class AdminKeySecret {
  private cached: { value: string; loadedAt: number } | undefined;
  private client: SecretsManagerClient | undefined;

  async sha256(): Promise<string> {
    const env = environment();
    const local = env[SETTINGS.adminKeySha256];
    if (local) return local;
    const arn = env[SETTINGS.adminKeySecretArn];
    if (!arn) {
      throw new Error(
        `Configuration is incomplete: set ${SETTINGS.adminKeySecretArn} or ${SETTINGS.adminKeySha256}.`,
      );
    }
    if (this.cached && Date.now() - this.cached.loadedAt < CACHE_MS) return this.cached.value;
    this.client ??= new SecretsManagerClient({});
    const r = await this.client.send(new GetSecretValueCommand({ SecretId: arn }));
    this.cached = { value: sha256Hex(r.SecretString ?? ''), loadedAt: Date.now() };
    return this.cached.value;
  }
}

let adminKeySecret: AdminKeySecret | undefined;

/** One per process, as the adapters of functions/deps.ts (where it belongs with them). */
export function adminKey(): AdminKeySecret {
  adminKeySecret ??= new AdminKeySecret();
  return adminKeySecret;
}
