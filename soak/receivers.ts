import { ERP_AREA, ERP_USER, leased, type Setup } from './faces.js';
import { type HubClient, list, str } from './hub-client.js';
import { findSoakId } from './partners.js';

export interface Lease {
  at: number;
  /** Whether the hub confirmed the done call for this lease. */
  doneOk: boolean;
}

export interface PollingReceiver {
  /** Leases by hub id (message id or syncLogId). */
  leases: Map<string, Lease[]>;
  /** The soak id of each leased item, and when it was first had. */
  soakIdOf: Map<string, string>;
  receivedAt: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * A receiver that polls: the pull mailbox (`GET /v1/inbox`, read the payload, `POST /v1/inbox/done`)
 * or the device's packets (list, link, download the native form, done). It keeps polling through
 * crashes; an item whose done was lost comes back when its lease ends, and is counted. Both lease
 * for 60 s (the device listing's default is the seed's 900 s, which would keep a crash's lost done
 * waiting a quarter of an hour).
 */
export function startPoller(hub: HubClient, s: Setup, kind: 'inbox' | 'device'): PollingReceiver {
  const leases = new Map<string, Lease[]>();
  const soakIdOf = new Map<string, string>();
  const receivedAt = new Map<string, number>();
  let running = true;
  const device = `/device/${ERP_AREA}/${ERP_USER}`;
  const auth = { key: kind === 'inbox' ? s.pullKey : s.deviceKey };
  const loop = (async () => {
    while (running) {
      try {
        const listing = await hub.call(
          'GET',
          kind === 'inbox'
            ? '/v1/inbox?limit=20&visibilityTimeout=60'
            : `${device}/packets?limit=20&visibilityTimeout=60`,
          auth,
        );
        const items =
          listing.status === 200 ? leased(listing.json, kind === 'inbox' ? 'messages' : 'packets') : [];
        if (items.length === 0) {
          await new Promise((r) => setTimeout(r, 300));
          continue;
        }
        const fresh: Lease[] = items.map(() => ({ at: Date.now(), doneOk: false }));
        await Promise.all(
          items.map(async (item, i) => {
            const lease = fresh[i] as Lease;
            leases.set(item.id, [...(leases.get(item.id) ?? []), lease]);
            let body: unknown;
            if (kind === 'inbox') {
              body = (await hub.call('GET', `/v1/messages/${item.id}/payload`, auth)).json;
            } else {
              const link = await hub.call(
                'GET',
                `${device}/link?path=${encodeURIComponent(item.url ?? '')}`,
                auth,
              );
              const r = await fetch(String(link.json));
              body = await r.json().catch(() => undefined);
            }
            const soakId = findSoakId(body);
            if (soakId) {
              soakIdOf.set(item.id, soakId);
              if (!receivedAt.has(soakId)) receivedAt.set(soakId, lease.at);
            }
          }),
        );
        const done = await hub.call(
          'POST',
          kind === 'inbox' ? '/v1/inbox/done' : `${device}/done`,
          auth,
          JSON.stringify(items.map((i) => ({ id: i.id, receiptHandle: i.receiptHandle }))),
        );
        if (done.status === 200) {
          const failed = new Set(list(done.json, 'failed').map((f) => str(f, 'id')));
          items.forEach((item, i) => {
            const lease = fresh[i];
            if (lease && !failed.has(item.id)) lease.doneOk = true;
          });
        }
      } catch {
        // the hub went away mid-poll: the leases come back, and are counted as such
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  })();
  return {
    leases,
    soakIdOf,
    receivedAt,
    async stop() {
      running = false;
      await loop;
    },
  };
}
