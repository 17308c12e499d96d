import type { RunningHub } from '../lib/local/hub.js';

export const BENCH_ADMIN_KEY = 'bench-admin-key';

/**
 * Registers sender `a`, receiver `b`, a key for `a` and one push integration a → b (doctype order) on
 * a benchmark hub; returns `a`'s key.
 */
export async function registerSenderAndReceiver(
  hub: RunningHub,
  delivery: { url: string },
  batchSize = 10,
): Promise<string> {
  const admin = (path: string, body: unknown) =>
    fetch(`${hub.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<Record<string, string>>);
  await admin('/admin/partners', { code: 'a', name: 'a' });
  await admin('/admin/partners', { code: 'b', name: 'b' });
  const key = (await admin('/admin/partners/a/keys', {})).key as string;
  await admin('/admin/integrations', {
    name: 'bench',
    direction: 'Outbound',
    entity: 'order',
    consentType: 'None',
    receiver: 'b',
    batchSize,
    delivery: { mode: 'push', url: delivery.url },
  });
  return key;
}
