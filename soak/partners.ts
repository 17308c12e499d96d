import type { ServerResponse } from 'node:http';
import { type ReceivedRequest, startPartner } from '../test/support/partner-server.js';
import { roll } from '../test/support/random.js';

/** What a partner did with one request. Everything but `ok` and `slow` is a fault by construction. */
export type Action = 'ok' | 'slow' | 'busy' | 'throttle' | 'hang' | 'close' | 'redirect' | 'refuse';
export const ACCEPTING: readonly Action[] = ['ok', 'slow'];

export interface Arrival {
  at: number;
  webhookId: string;
  action: Action;
}

/** Every soak document carries its unit's id as a string `soak_<seed>_<n>`, found wherever it sits. */
export const SOAK_ID = /^soak_\d+_\d+$/;
export function findSoakId(value: unknown): string | undefined {
  if (typeof value === 'string') return SOAK_ID.test(value) ? value : undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = findSoakId(v);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') return findSoakId(Object.values(value));
  return undefined;
}
const parse = (b: Buffer): unknown => {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
};

/**
 * The partner's character. `chaos`: 30 % of requests fail (503, 429, a hang the hub's timeout must
 * cut, or a connection closed in the middle of a 200 answer), 2 % are redirected (which fails the
 * delivery at once), 20 % are answered slowly, the rest at once. `refuse`: never accepts (410).
 */
export type Profile = 'chaos' | 'refuse';

function decide(profile: Profile, seed: number, name: string, webhookId: string, nth: number): Action {
  if (profile === 'refuse') return 'refuse';
  const r = roll(seed, name, webhookId, nth);
  if (r < 0.18) return 'busy';
  if (r < 0.22) return 'throttle';
  if (r < 0.25) return 'hang';
  if (r < 0.3) return 'close';
  if (r < 0.32) return 'redirect';
  if (r < 0.52) return 'slow';
  return 'ok';
}

async function answer(action: Action, res: ServerResponse, slowMs: number) {
  switch (action) {
    case 'ok':
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    case 'slow':
      await new Promise((r) => setTimeout(r, slowMs));
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    case 'busy':
      return res.writeHead(503).end('busy');
    case 'throttle':
      return res.writeHead(429, { 'retry-after': '1' }).end('slow down');
    case 'hang':
      return; // never answers: the hub's timeout has to end the attempt
    case 'close':
      // Headers and half a body, then the connection is gone.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '64' });
      res.write('{"ok":');
      await new Promise((r) => setTimeout(r, 20));
      res.socket?.destroy();
      return;
    case 'redirect':
      return res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    case 'refuse':
      return res.writeHead(410).end('gone');
  }
}

export interface SoakPartner {
  name: string;
  url: string;
  /** Arrivals by webhook-id, in order. */
  byWebhook: Map<string, Arrival[]>;
  /** Arrivals by the soak id found in the body (for notify: in the fetched payload). */
  bySoakId: Map<string, Arrival[]>;
  /** When the receiver first had the document (for notify: when its payload was fetched). */
  receivedAt: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * A real HTTP partner that records what arrived and what it did. With `notify`, the body is the
 * hub's `message.ready` event and the partner then fetches the payload with its own key, as a
 * notify receiver does (retrying while the hub is down).
 */
export async function startSoakPartner(o: {
  name: string;
  profile: Profile;
  seed: number;
  notify?: { key: string };
}): Promise<SoakPartner> {
  const byWebhook = new Map<string, Arrival[]>();
  const bySoakId = new Map<string, Arrival[]>();
  const receivedAt = new Map<string, number>();
  const fetches = new Set<Promise<void>>();
  let stopped = false;
  const fetchPayload = async (link: string, key: string, arrival: Arrival) => {
    for (let i = 0; !stopped; i++) {
      try {
        const r = await fetch(link, { headers: { 'x-api-key': key } });
        if (r.ok) {
          const id = findSoakId(parse(Buffer.from(await r.arrayBuffer())));
          if (id) {
            if (!receivedAt.has(id)) receivedAt.set(id, Date.now());
            bySoakId.set(id, [...(bySoakId.get(id) ?? []), arrival]);
          }
          return;
        }
        await r.arrayBuffer();
      } catch {
        // the hub is down (a crash): try again
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** i)));
    }
  };
  const server = await startPartner(async (req: ReceivedRequest, res) => {
    const webhookId = req.headers['webhook-id'] ?? '';
    const seen = byWebhook.get(webhookId) ?? [];
    const action = decide(o.profile, o.seed, o.name, webhookId, seen.length);
    const arrival: Arrival = { at: Date.now(), webhookId, action };
    byWebhook.set(webhookId, [...seen, arrival]);
    const body = parse(req.body);
    if (o.notify) {
      const link = (body as { links?: { payload?: string } } | undefined)?.links?.payload;
      await answer(action, res, 200 + roll(o.seed, webhookId, 'slow') * 800);
      // 'close' sent a 200 status line before cutting the body: the hub may count that delivered,
      // so the receiver fetches as it would after any 200.
      if ((ACCEPTING.includes(action) || action === 'close') && link) {
        const p = fetchPayload(link, o.notify.key, arrival).finally(() => fetches.delete(p));
        fetches.add(p);
      }
      return;
    }
    const id = findSoakId(body);
    if (id) {
      if (!receivedAt.has(id)) receivedAt.set(id, arrival.at);
      bySoakId.set(id, [...(bySoakId.get(id) ?? []), arrival]);
    }
    await answer(action, res, 200 + roll(o.seed, webhookId, 'slow') * 800);
  });
  return {
    name: o.name,
    url: server.url,
    byWebhook,
    bySoakId,
    receivedAt,
    async stop() {
      stopped = true;
      await Promise.allSettled([...fetches]);
      await server.stop();
    },
  };
}
