import { ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { integrationsOf } from '../integrations-cache.js';
import { withQuery } from '../router.js';
import { useSession } from '../session-context.js';
import { EventList } from './Events.js';

/**
 * The first page: what needs the operator. The last hour and day (GET /admin/stats), the oldest
 * undelivered message, recent operational events, the integrations by health, what waits for consent.
 */
export function Overview() {
  const { client } = useSession();
  const events = useLoad(
    () => ok(client.GET('/admin/events', { params: { query: { limit: '15' } } })),
    'events',
    15_000,
  );
  const integrations = useLoad(() => integrationsOf(client), 'integrations');
  const pending = useLoad(
    () => ok(client.GET('/admin/enablements', { params: { query: { status: 'pending_consent' } } })),
    'pending',
    30_000,
  );
  const stats = (hours: number) =>
    ok(
      client.GET('/admin/stats', {
        params: { query: { since: new Date(Date.now() - hours * 3600_000).toISOString() } },
      }),
    );
  const hour = useLoad(() => stats(1), 'stats-hour', 15_000);
  const day = useLoad(() => stats(24), 'stats-day', 15_000);
  const health = new Map((day.data?.integrations ?? []).map((i) => [i.integrationId, i.health]));
  const since = new Date(Date.now() - 24 * 3600_000).toISOString();
  return (
    <>
      <PageHeader title="Overview">
        <Link to={withQuery('/messages', { status: 'failed', since })} class="button">
          Failed in the last 24 hours
        </Link>
      </PageHeader>
      <div class="grid">
        <section aria-labelledby="stats-title" class="card wide">
          <h2 id="stats-title">Traffic</h2>
          {day.state === 'loading' || hour.state === 'loading' ? (
            <Loading what="the statistics" rows={2} />
          ) : day.state === 'failed' && !day.data ? (
            <Problem error={day.error} retry={day.reload} />
          ) : (
            <>
              <table>
                <caption class="visually-hidden">Messages and deliveries in the last hour and day</caption>
                <thead>
                  <tr>
                    <th scope="col">Window</th>
                    <th scope="col">Accepted</th>
                    <th scope="col">Delivered</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Retrying</th>
                    <th scope="col">Held</th>
                  </tr>
                </thead>
                <tbody>
                  {(
                    [
                      ['Last hour', hour.data],
                      ['Last 24 hours', day.data],
                    ] as const
                  ).map(([label, w]) => (
                    <tr key={label}>
                      <th scope="row">{label}</th>
                      <td class="figure">{w?.accepted ?? '—'}</td>
                      <td class="figure">{w?.delivered ?? '—'}</td>
                      <td class="figure">{w?.failed ?? '—'}</td>
                      <td class="figure">{w?.retrying ?? '—'}</td>
                      <td class="figure">{w?.held ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="small">
                Oldest undelivered message:{' '}
                {day.data?.oldestUndeliveredAt ? (
                  <Time iso={day.data.oldestUndeliveredAt} relative />
                ) : (
                  'none'
                )}
                . <Link to="/replay">Replay failed deliveries</Link>
              </p>
            </>
          )}
        </section>
        <section aria-labelledby="events-title" class="card wide">
          <h2 id="events-title">Recent operational events</h2>
          <p class="small">
            <Link to="/events">Every event of the last 30 days, by type</Link>
          </p>
          {events.state === 'loading' ? (
            <Loading what="events" rows={5} />
          ) : events.state === 'failed' && !events.data ? (
            <Problem error={events.error} retry={events.reload} />
          ) : events.data && events.data.events.length === 0 ? (
            <Empty>
              No operational events in the last 30 days: no delivery ran out of attempts, nothing was
              disabled.
            </Empty>
          ) : (
            <EventList events={events.data?.events ?? []} />
          )}
        </section>
        <section aria-labelledby="integrations-title" class="card">
          <h2 id="integrations-title">Integrations</h2>
          {integrations.state === 'loading' ? (
            <Loading what="integrations" />
          ) : integrations.state === 'failed' ? (
            <Problem error={integrations.error} retry={integrations.reload} />
          ) : integrations.data.length === 0 ? (
            <Empty>
              No integrations yet. <Link to="/integrations/new">Create the first one</Link>.
            </Empty>
          ) : (
            <ul class="plain">
              {integrations.data.map((i) => (
                <li key={i.id}>
                  <Link to={`/integrations/${encodeURIComponent(i.id)}`}>{i.name}</Link>{' '}
                  <StatusBadge status={i.active ? 'active' : 'inactive'} />
                  {(i.health ?? health.get(i.id)) === 'disabled' ? (
                    <>
                      {' '}
                      <StatusBadge status="disabled" />
                    </>
                  ) : null}
                  <div class="muted small">
                    {i.direction} {i.entity} → {i.receiver ?? 'each client'} ·{' '}
                    <Link to={withQuery('/messages', { integrationId: i.id, status: 'failed' })}>
                      failed messages
                    </Link>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="consent-title" class="card">
          <h2 id="consent-title">Waiting for consent</h2>
          {pending.state === 'loading' ? (
            <Loading what="the consent queue" rows={1} />
          ) : pending.state === 'failed' ? (
            <Problem error={pending.error} retry={pending.reload} />
          ) : (
            <p>
              <strong class="figure">{pending.data.enablements.length}</strong>{' '}
              {pending.data.enablements.length === 1 ? 'enablement waits' : 'enablements wait'} for the
              operator. <Link to="/consent">Open the consent queue</Link>
            </p>
          )}
        </section>
      </div>
    </>
  );
}
