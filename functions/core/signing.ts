import { Webhook } from 'standardwebhooks';

export interface SigningSecrets {
  secret: string;
  previousSecret?: string | undefined;
  previousSecretValidUntil?: string | undefined;
}

/**
 * Standard Webhooks headers: HMAC-SHA256 over `id.timestamp.body`. While a rotated-out secret is
 * still within its overlap, both signatures are sent (space separated), so receivers can roll over.
 */
export function webhookHeaders(
  id: string,
  at: Date,
  body: Uint8Array,
  secrets: SigningSecrets,
): Record<string, string> {
  const payload = Buffer.from(body);
  const signatures = [new Webhook(secrets.secret).sign(id, at, payload)];
  if (
    secrets.previousSecret &&
    secrets.previousSecretValidUntil &&
    Date.parse(secrets.previousSecretValidUntil) > at.getTime()
  ) {
    signatures.push(new Webhook(secrets.previousSecret).sign(id, at, payload));
  }
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
