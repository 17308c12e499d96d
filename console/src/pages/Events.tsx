import { OPERATIONAL_EVENT_TYPES } from '../../../functions/core/events.js';
import { type OperationalEvent, ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, Time } from '../components.js';
import { useLoad } from '../data.js';
import { navigate, withQuery } from '../router.js';
import { useSession } from '../session-context.js';

/** Operational events of the last 30 days (GET /admin/events), by type, paged by cursor. */
export function Events({ query }: { query: URLSearchParams }) {
  const { client } = useSession();
  const type = query.get('type') ?? '';
  const cursor = query.get('cursor') ?? undefined;
  const params = {
    limit: '50',
    ...(type ? { type: type as OperationalEvent['type'] } : {}),
    ...(cursor ? { cursor } : {}),
  };
  const key = JSON.stringify(params);
  const events = useLoad(
    () => ok(client.GET('/admin/events', { params: { query: params } })),
    key,
    cursor ? undefined : 15_000,
    true,
  );
  return (
    <>
      <PageHeader title="Operational events">
        <label class="inline-field">
          Type
          <select
            name="type"
            value={type}
            onChange={(e) => navigate(withQuery('/events', { type: e.currentTarget.value }))}
          >
            <option value="">every type</option>
            {OPERATIONAL_EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      <section
        class={events.state === 'ready' && events.key !== key ? 'card results refreshing' : 'card'}
        aria-label="Events"
        aria-busy={events.state === 'loading' || (events.state === 'ready' && events.key !== key)}
      >
        {events.state === 'loading' ? (
          <Loading what="events" rows={6} />
        ) : events.state === 'failed' && !events.data ? (
          <Problem error={events.error} retry={events.reload} />
        ) : events.data && events.data.events.length === 0 ? (
          <Empty>{cursor ? 'No older events.' : 'No event of this type in the last 30 days.'}</Empty>
        ) : (
          <EventList events={events.data?.events ?? []} />
        )}
      </section>
      <nav class="pager" aria-label="Pages of events">
        <button type="button" disabled={!cursor} onClick={() => navigate(withQuery('/events', { type }))}>
          Newest
        </button>
        <button
          type="button"
          disabled={!events.data?.nextCursor}
          onClick={() => navigate(withQuery('/events', { type, cursor: events.data?.nextCursor }))}
        >
          Older
        </button>
      </nav>
    </>
  );
}

export function EventList({ events }: { events: readonly OperationalEvent[] }) {
  return (
    <ul class="events">
      {events.map((e) => (
        <li key={e.id}>
          <span class="event-type">{e.type}</span> <Time iso={e.at} />
          <div>{e.detail}</div>
          <div class="muted small">
            {e.messageId ? (
              <Link to={`/messages/${encodeURIComponent(e.messageId)}`}>message {e.messageId}</Link>
            ) : null}
            {e.integrationId ? (
              <>
                {' '}
                <Link to={`/integrations/${encodeURIComponent(e.integrationId)}`}>integration</Link>
              </>
            ) : null}
            {e.partner ? (
              <>
                {' · partner '}
                <Link to={`/partners/${encodeURIComponent(e.partner)}`}>{e.partner}</Link>
              </>
            ) : null}
          </div>
        </li>
      ))}
    </ul>
  );
}
