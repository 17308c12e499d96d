import { Empty, Link, Loading, PageHeader, Problem, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { integrationsOf } from '../integrations-cache.js';
import { withQuery } from '../router.js';
import { useSession } from '../session-context.js';

export function Integrations() {
  const { client } = useSession();
  const list = useLoad(() => integrationsOf(client), 'integrations');
  return (
    <>
      <PageHeader title="Integrations">
        <Link to="/integrations/new" class="button">
          New integration
        </Link>
      </PageHeader>
      {list.state === 'loading' ? (
        <Loading what="integrations" rows={5} />
      ) : list.state === 'failed' ? (
        <Problem error={list.error} retry={list.reload} />
      ) : list.data.length === 0 ? (
        <Empty>
          No integration yet: nothing is routed. <Link to="/integrations/new">Create one</Link>.
        </Empty>
      ) : (
        <table class="responsive">
          <caption class="visually-hidden">Integrations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Routes</th>
              <th scope="col">Delivery</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((i) => (
              <tr key={i.id}>
                <td data-label="Name">
                  <Link to={`/integrations/${encodeURIComponent(i.id)}`}>{i.name}</Link>
                  <div class="muted small mono">{i.id}</div>
                </td>
                <td data-label="State">
                  <StatusBadge status={i.active ? 'active' : 'inactive'} />
                  {i.managed ? <span class="badge">managed</span> : null}
                </td>
                <td data-label="Routes">
                  {i.direction} <strong>{i.entity}</strong>
                  <div class="muted small">
                    {i.sender ?? 'any sender'} → {i.receiver ?? 'each client'}
                    {i.version ? `, version ${i.version}` : ''}
                  </div>
                </td>
                <td data-label="Delivery">
                  {i.delivery ? (
                    <>
                      {i.delivery.mode} <span class="muted">{i.delivery.format}</span>
                      {i.delivery.url ? <div class="muted small wrap">{i.delivery.url}</div> : null}
                    </>
                  ) : (
                    <span class="muted">applies rows</span>
                  )}
                  <div class="small">
                    <Link to={withQuery('/messages', { integrationId: i.id, status: 'failed' })}>
                      Failed messages
                    </Link>
                  </div>
                </td>
                <td data-label="Changed">
                  <Time iso={i.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
