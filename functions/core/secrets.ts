import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API keys are random, shown once, and stored only as their SHA-256. */
export function newApiKey(): string {
  return `cdk_${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Compares two secrets in constant time by comparing their digests (equal length by construction). */
export function secretsEqual(given: string, expectedSha256Hex: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = Buffer.from(expectedSha256Hex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
