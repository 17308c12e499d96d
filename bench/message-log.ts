import type { StoredMessage } from '../functions/adapters/messages.js';
import { webhookIdOf } from '../functions/core/message.js';
import { messages } from '../functions/deps.js';
import { startHub } from '../lib/local/hub.js';
import { countCalls } from './deliver.js';
import { runLoad } from './load.js';
import { BENCH_ADMIN_KEY } from './setup.js';

/**
 * The operator's message log (GET /admin/messages): the time and DynamoDB read units of one page
 * (limit 50) with 1,000 and with 100,000 stored messages, per filter, so a reader sees whether a
 * page's cost follows the page or the table. Messages are written through the hub's own message
 * repository (as an accept writes them), spread over two days, ten senders and ten receivers.
 */
export async function benchMessageLog(sizes: readonly number[] = [1000, 100_000]) {
  const hub = await startHub({
    port: 0,
    inMemory: true,
    adminKey: BENCH_ADMIN_KEY,
    deliveryConcurrency: 0,
    withoutSchedules: ['RowSweep'],
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
  try {
    const partners = Array.from({ length: 10 }, (_, i) => `p${i}`);
    for (const code of partners) await admin('POST', '/admin/partners', { code, name: code });
    const integration = String(
      (
        await admin('POST', '/admin/integrations', {
          name: 'log bench',
          direction: 'Outbound',
          entity: 'order',
          consentType: 'None',
          receiver: 'p1',
          delivery: { mode: 'push', url: 'http://127.0.0.1:9/unused' },
        })
      ).id,
    );
    const store = messages();
    const now = Date.now();
    let stored = 0;
    const seed = (upTo: number) =>
      runLoad(upTo - stored, 32, async (k) => {
        const n = stored + k;
        const id = `msg_bench${String(n).padStart(8, '0')}`;
        // Two days of traffic, newest last; the doctype "rare" is one message in a thousand.
        const receivedAt = new Date(
          now - 2 * 86_400_000 + Math.floor((n / 100_000) * 2 * 86_400_000),
        ).toISOString();
        const message: StoredMessage = {
          id,
          sender: partners[n % 10] as string,
          receiver: partners[(n + 3) % 10] as string,
          doctype: n % 1000 === 0 ? 'rare' : 'order',
          version: '1',
          size: 11,
          sha256: '0'.repeat(64),
          contentType: 'application/json',
          receivedAt,
          expiresAt: Math.floor(now / 1000) + 30 * 86_400,
          inline: { bytes: new TextEncoder().encode('{"order":1}'), deflated: false },
        };
        await store.create(message, [
          {
            messageId: id,
            integrationId: integration,
            mode: 'push',
            status: 'queued',
            attemptCount: 0,
            webhookId: webhookIdOf(id, integration),
          },
        ]);
      }).then(() => {
        stored = upTo;
      });

    const counts = await countCalls();
    const filters: [string, string][] = [
      ['no filter (by day)', ''],
      ['partner (sender or receiver)', '&partner=p3'],
      ['sender', '&sender=p3'],
      ['rare doctype (1 in 1,000)', '&doctype=rare'],
    ];
    const results: {
      size: number;
      seedSeconds: number;
      rows: { filter: string; medianMs: number; rru: number; queries: number; items: number }[];
    }[] = [];
    for (const size of sizes) {
      const t = performance.now();
      await seed(size);
      const seedSeconds = (performance.now() - t) / 1000;
      const rows = [];
      for (const [label, query] of filters) {
        const times: number[] = [];
        let rru = 0;
        let queries = 0;
        let items = 0;
        const PAGES = 10;
        let cursor: string | undefined;
        for (let p = 0; p < PAGES; p++) {
          for (const k of Object.keys(counts)) delete counts[k];
          const started = performance.now();
          const page = (await admin(
            'GET',
            `/admin/messages?limit=50${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          )) as { messages: unknown[]; nextCursor?: string };
          times.push(performance.now() - started);
          rru += counts['DynamoDB.RRU'] ?? 0;
          queries += (counts['DynamoDB.Query'] ?? 0) + (counts['DynamoDB.BatchGetItem'] ?? 0);
          items += page.messages.length;
          // Follow the pages (a new page reads where the last ended); start again when they run out.
          cursor = page.nextCursor;
        }
        times.sort((a, b) => a - b);
        rows.push({
          filter: label,
          medianMs: times[Math.floor(times.length / 2)] ?? 0,
          rru: rru / PAGES,
          queries: queries / PAGES,
          items: items / PAGES,
        });
      }
      results.push({ size, seedSeconds, rows });
    }
    return results;
  } finally {
    await hub.stop();
  }
}
