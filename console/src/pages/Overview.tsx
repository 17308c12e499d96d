import { ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, StatusBadge } from '../components.js';
import { useLoad } from '../data.js';
import { integrationsOf } from '../integrations-cache.js';
import { withQuery } from '../router.js';
import { useSession } from '../session-context.js';
import { EventList } from './Events.js';

/**
 * The first page: what needs the operator. Recent operational events, the integrations, what waits
 * for consent. (The stats tiles of GET /admin/stats go in the `stats` section when that route exists.)
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
  const since = new Date(Date.now() - 24 * 3600_000).toISOString();
  return (
    <>
      <PageHeader title="Overview">
        <Link to={withQuery('/messages', { status: 'failed', since })} class="button">
          Failed in the last 24 hours
        </Link>
      </PageHeader>
      <div class="grid">
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
