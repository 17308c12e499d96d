import { useState } from 'preact/hooks';
import { ok } from '../api.js';
import { Empty, Loading, PageHeader, Problem, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { bytes } from '../format.js';
import { navigate, withQuery } from '../router.js';
import { useSession } from '../session-context.js';
import { CommunicationLookup } from './Communication.js';

const STATUSES = ['awaiting', 'ready', 'done', 'failed'] as const;
type Status = (typeof STATUSES)[number];

/**
 * An app area's ERP and device sync packets (GET /admin/packets/{appArea}, seed 003), newest first,
 * failed ones with their reason. The area and status are the page's address.
 */
export function Packets({ query }: { query: URLSearchParams }) {
  const { client } = useSession();
  const appArea = query.get('appArea') ?? '';
  const status = (query.get('status') ?? '') as Status | '';
  const cursor = query.get('cursor') ?? undefined;
  const [area, setArea] = useState(appArea);
  const key = JSON.stringify([appArea, status, cursor]);
  const page = useLoad(
    async () =>
      appArea
        ? ok(
            client.GET('/admin/packets/{appArea}', {
              params: {
                path: { appArea },
                query: { limit: '50', ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) },
              },
            }),
          )
        : undefined,
    key,
    appArea && !cursor ? 15_000 : undefined,
    true,
  );
  const go = (next: Record<string, string | undefined>) => navigate(withQuery('/packets', next));
  return (
    <>
      <PageHeader title="Sync packets" />
      <CommunicationLookup />
      <form
        class="filters card"
        onSubmit={(e) => {
          e.preventDefault();
          go({ appArea: area.trim() || undefined, status: status || undefined });
        }}
      >
        <label>
          App area
          <input
            value={area}
            required
            placeholder="e.g. DMDEV01"
            onInput={(e) => setArea(e.currentTarget.value)}
          />
        </label>
        <label>
          Status
          <select
            value={status}
            onChange={(e) =>
              go({ appArea: appArea || area.trim() || undefined, status: e.currentTarget.value || undefined })
            }
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show packets</button>
      </form>
      <section class="card" aria-label="Packets">
        {!appArea ? (
          <Empty>Name an app area (the ERP's partner code) to see its packets.</Empty>
        ) : page.state === 'loading' ? (
          <Loading what="packets" rows={6} />
        ) : page.state === 'failed' && !page.data ? (
          <Problem error={page.error} retry={page.reload} />
        ) : !page.data || page.data.packets.length === 0 ? (
          <Empty>
            {cursor ? 'No older packets.' : `No packet of ${appArea}${status ? ` is ${status}` : ''}.`}
          </Empty>
        ) : (
          <table class="responsive">
            <caption class="visually-hidden">Sync packets of {appArea}</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Packet</th>
                <th scope="col">Status</th>
                <th scope="col">Direction</th>
                <th scope="col">Size</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {page.data.packets.map((p) => (
                <tr key={p.syncLogId}>
                  <td data-label="Created">
                    <Time iso={p.createdAt} />
                  </td>
                  <td data-label="Packet">
                    <span class="mono small">{p.syncLogId}</span>
                    <div class="muted small">
                      {p.mobileUser} · {p.packetType} · {p.packetUniqueId}
                    </div>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={p.status} />
                  </td>
                  <td data-label="Direction">
                    {p.direction === 'toDevice' ? 'ERP → device' : 'device → ERP'}
                  </td>
                  <td data-label="Size">{bytes(p.size)}</td>
                  <td data-label="Reason">{p.error ?? p.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {appArea ? (
        <nav class="pager" aria-label="Pages of packets">
          <button
            type="button"
            disabled={!cursor}
            onClick={() => go({ appArea, status: status || undefined })}
          >
            Newest
          </button>
          <button
            type="button"
            disabled={!page.data?.nextCursor}
            onClick={() => go({ appArea, status: status || undefined, cursor: page.data?.nextCursor })}
          >
            Older
          </button>
        </nav>
      ) : null}
    </>
  );
}
