import { createHmac } from 'node:crypto';

export interface SigningSecrets {
  secret: string;
  previousSecret?: string | undefined;
  previousSecretValidUntil?: string | undefined;
}

/**
 * Standard Webhooks v1: base64 HMAC-SHA256, keyed with the secret's bytes, over `id.timestamp.` and
 * the body's exact bytes. Hand-written in a few lines because the `standardwebhooks` package turns a
 * Buffer body into a UTF-8 string before signing, which breaks the signature of any non-UTF-8 body
 * (Latin-1 XML, binaries) for receivers that verify the raw bytes.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: Uint8Array): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/**
 * The Standard Webhooks headers. While a rotated-out secret is still within its overlap, both
 * signatures are sent (space separated), so receivers can roll over.
 */
export function webhookHeaders(
  id: string,
  at: Date,
  body: Uint8Array,
  secrets: SigningSecrets,
): Record<string, string> {
  const timestamp = Math.floor(at.getTime() / 1000);
  const signatures = [signWebhook(secrets.secret, id, timestamp, body)];
  if (
    secrets.previousSecret &&
    secrets.previousSecretValidUntil &&
    Date.parse(secrets.previousSecretValidUntil) > at.getTime()
  ) {
    signatures.push(signWebhook(secrets.previousSecret, id, timestamp, body));
  }
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}
