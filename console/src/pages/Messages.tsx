import { useEffect, useState } from 'preact/hooks';
import { type LogEntry, type MessageFilters, ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { bytes, isoToLocalInput, localInputToIso } from '../format.js';
import { integrationsOf, nameOf } from '../integrations-cache.js';
import { navigate, withQuery } from '../router.js';
import { useSession } from '../session-context.js';

/**
 * Every filter of GET /admin/messages, as the page's query string, so a view can be bookmarked. The
 * Replay page (POST /admin/messages/retry) reads the same query: since, until, integrationId,
 * receiver.
 */
const FILTERS = [
  'partner',
  'sender',
  'receiver',
  'doctype',
  'status',
  'integrationId',
  'since',
  'until',
] as const;
type Filter = (typeof FILTERS)[number];
const STATUSES = ['accepted', 'pending', 'delivered', 'failed'] as const;
const LIMITS = ['25', '50', '100'] as const;
const QUICK = [
  ['15 minutes', 15 * 60_000],
  ['hour', 3600_000],
  ['24 hours', 86_400_000],
  ['7 days', 7 * 86_400_000],
] as const;
const LIVE_EVERY_MS = 5000;
/** The cursors of the pages before this one, per filter set, so "Previous page" can go back. */
const earlier = new Map<string, (string | undefined)[]>();

export function Messages({ query }: { query: URLSearchParams }) {
  const { client } = useSession();
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Record<Filter, string>;
  const limit = query.get('limit') ?? '50';
  const cursor = query.get('cursor') ?? undefined;
  const [live, setLive] = useState(true);
  const params: MessageFilters = {
    ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)),
    limit,
    ...(cursor ? { cursor } : {}),
  };
  const key = JSON.stringify(params);
  // Live updates on the first page only: a later page is a fixed window into the past.
  const page = useLoad(
    () => ok(client.GET('/admin/messages', { params: { query: params } })),
    key,
    live && !cursor ? LIVE_EVERY_MS : undefined,
    true,
  );
  const integrations = useLoad(() => integrationsOf(client), 'integrations');
  const go = (next: Record<string, string | undefined>) => navigate(withQuery('/messages', next));
  const current = { ...filters, limit: limit === '50' ? '' : limit };
  const trail = JSON.stringify(current);
  const previous = () => {
    const stack = earlier.get(trail) ?? [];
    go({ ...current, cursor: stack.pop() });
  };
  const next = () => {
    const stack = earlier.get(trail) ?? [];
    stack.push(cursor);
    earlier.set(trail, stack);
    go({ ...current, cursor: page.data?.nextCursor });
  };

  return (
    <>
      <PageHeader title="Messages">
        <Link
          to={withQuery('/replay', {
            since: filters.since || undefined,
            until: filters.until || undefined,
            integrationId: filters.integrationId || undefined,
            receiver: filters.receiver || undefined,
          })}
          class="button secondary"
        >
          Replay the failed ones
        </Link>
        <label class="inline">
          <input
            type="checkbox"
            checked={live}
            disabled={Boolean(cursor)}
            onChange={(e) => setLive(e.currentTarget.checked)}
          />{' '}
          Live {cursor ? '(first page only)' : `(every ${LIVE_EVERY_MS / 1000} s)`}
        </label>
      </PageHeader>
      <FilterForm
        filters={filters}
        limit={limit}
        integrations={integrations.data ?? []}
        onApply={(f, l) => go({ ...f, limit: l === '50' ? undefined : l })}
      />
      <div
        class={page.state === 'ready' && page.key !== key ? 'results refreshing' : 'results'}
        aria-busy={page.state === 'loading' || (page.state === 'ready' && page.key !== key)}
      >
        {page.state === 'loading' ? (
          <Loading what="messages" rows={8} />
        ) : page.state === 'failed' && !page.data ? (
          <Problem error={page.error} retry={page.reload} />
        ) : page.data && page.data.messages.length === 0 ? (
          <Empty>
            {cursor
              ? 'No more messages: this is past the last page.'
              : 'No message matches these filters. Widen the time window or clear a filter.'}
          </Empty>
        ) : (
          <>
            {page.state === 'failed' ? <Problem error={page.error} retry={page.reload} /> : null}
            <MessageTable messages={page.data?.messages ?? []} names={integrations.data} />
          </>
        )}
      </div>
      <nav class="pager" aria-label="Pages of messages">
        <button
          type="button"
          disabled={!cursor}
          onClick={() => {
            earlier.delete(trail);
            go({ ...current, cursor: undefined });
          }}
        >
          Newest
        </button>
        <button type="button" disabled={!cursor} onClick={previous}>
          Previous page
        </button>
        <button type="button" disabled={!page.data?.nextCursor} onClick={next}>
          Next page
        </button>
      </nav>
    </>
  );
}

function FilterForm({
  filters,
  limit,
  integrations,
  onApply,
}: {
  filters: Record<Filter, string>;
  limit: string;
  integrations: readonly { id: string; name: string }[];
  onApply: (filters: Record<Filter, string>, limit: string) => void;
}) {
  const [draft, setDraft] = useState(filters);
  const [pageSize, setPageSize] = useState(limit);
  const fromUrl = JSON.stringify(filters);
  useEffect(() => {
    setDraft(filters);
    setPageSize(limit);
  }, [fromUrl, limit]);
  const set = (f: Filter, v: string) => setDraft((d) => ({ ...d, [f]: v }));
  const text = (f: Filter, label: string, placeholder = '') => (
    <label>
      {label}
      <input
        name={f}
        value={draft[f]}
        placeholder={placeholder}
        spellcheck={false}
        onInput={(e) => set(f, e.currentTarget.value.trim())}
      />
    </label>
  );
  const when = (f: 'since' | 'until', label: string) => (
    <label class="when">
      {label}
      <input
        type="datetime-local"
        name={f}
        value={isoToLocalInput(draft[f])}
        onInput={(e) => set(f, localInputToIso(e.currentTarget.value) ?? '')}
      />
    </label>
  );
  return (
    <form
      class="filters"
      aria-label="Filter messages"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft, pageSize);
      }}
    >
      {text('partner', 'Partner (sender or receiver)', 'code')}
      {text('sender', 'Sender')}
      {text('receiver', 'Receiver')}
      {text('doctype', 'Document type')}
      <label>
        Status
        <select name="status" value={draft.status} onChange={(e) => set('status', e.currentTarget.value)}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Integration
        <select
          name="integrationId"
          value={draft.integrationId}
          onChange={(e) => set('integrationId', e.currentTarget.value)}
        >
          <option value="">any</option>
          {draft.integrationId && !integrations.some((i) => i.id === draft.integrationId) ? (
            <option value={draft.integrationId}>{draft.integrationId}</option>
          ) : null}
          {integrations.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name}
            </option>
          ))}
        </select>
      </label>
      {when('since', 'Received from')}
      {when('until', 'Received until')}
      <label>
        Per page
        <select name="limit" value={pageSize} onChange={(e) => setPageSize(e.currentTarget.value)}>
          {LIMITS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <fieldset class="quick">
        <legend>Received in the last</legend>
        {QUICK.map(([label, ms]) => (
          <button
            key={label}
            type="button"
            class="secondary"
            onClick={() => {
              const since = new Date(Date.now() - ms).toISOString();
              setDraft((d) => ({ ...d, since, until: '' }));
              onApply({ ...draft, since, until: '' }, pageSize);
            }}
          >
            {label}
          </button>
        ))}
      </fieldset>
      <div class="filter-actions">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          class="secondary"
          onClick={() =>
            onApply(Object.fromEntries(FILTERS.map((f) => [f, ''])) as Record<Filter, string>, '50')
          }
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function deliverySummary(m: LogEntry, names: Parameters<typeof nameOf>[0]) {
  return m.deliveries.map((d) => (
    <div key={d.integrationId} class="small">
      <StatusBadge status={d.status} /> {nameOf(names, d.integrationId)}
      <span class="muted">
        {' '}
        · {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
        {d.lastStatusCode ? ` · last ${d.lastStatusCode}` : ''}
      </span>
      {d.nextAttemptAt ? (
        <span class="muted">
          {' '}
          · next <Time iso={d.nextAttemptAt} relative />
        </span>
      ) : null}
    </div>
  ));
}

function MessageTable({
  messages,
  names,
}: {
  messages: readonly LogEntry[];
  names: Parameters<typeof nameOf>[0];
}) {
  return (
    <table class="messages responsive">
      <caption class="visually-hidden">Messages, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Received</th>
          <th scope="col">Status</th>
          <th scope="col">Sender → receiver</th>
          <th scope="col">Type</th>
          <th scope="col">Size</th>
          <th scope="col">Deliveries</th>
        </tr>
      </thead>
      <tbody>
        {messages.map((m) => (
          <tr key={m.id}>
            <td data-label="Received">
              <Link to={`/messages/${encodeURIComponent(m.id)}`} aria-label={`Message ${m.id}`}>
                <Time iso={m.receivedAt} />
              </Link>
            </td>
            <td data-label="Status">
              <StatusBadge status={m.status} />
            </td>
            <td data-label="Sender → receiver">
              {m.sender} → {m.receiver}
            </td>
            <td data-label="Type">
              {m.doctype}
              {m.version ? <span class="muted"> v{m.version}</span> : null}
              {m.source ? (
                <div class="muted small">
                  row {m.source.entity}/{m.source.id} v{m.source.version}
                </div>
              ) : null}
            </td>
            <td data-label="Size">{bytes(m.size)}</td>
            <td data-label="Deliveries">
              {m.deliveries.length === 0 ? <span class="muted">none</span> : deliverySummary(m, names)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
