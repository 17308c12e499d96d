import { useState } from 'preact/hooks';
import { ok } from '../api.js';
import { Link, Loading, PageHeader, Problem, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { navigate, withQuery } from '../router.js';
import { useSession } from '../session-context.js';

/** A lookup box for a 3PL post's CommunicationID (seed 002), on the Packets page. */
export function CommunicationLookup() {
  const [id, setId] = useState('');
  return (
    <form
      class="filters card"
      aria-label="3PL communication by id"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim()) navigate(`/communications/${encodeURIComponent(id.trim())}`);
      }}
    >
      <label class="when">
        3PL CommunicationID
        <input value={id} required onInput={(e) => setId(e.currentTarget.value)} />
      </label>
      <button type="submit">Look up</button>
    </form>
  );
}

/** One 3PL post (GET /admin/communications/{id}): who sent it, and what became of each line. */
export function CommunicationPage({ id }: { id: string }) {
  const { client } = useSession();
  const c = useLoad(
    () =>
      ok(
        client.GET('/admin/communications/{CommunicationID}', { params: { path: { CommunicationID: id } } }),
      ),
    id,
    10_000,
  );
  const d = c.data;
  return (
    <>
      <PageHeader title={`Communication ${id}`}>
        <Link to="/packets" class="button secondary">
          Back to packets
        </Link>
      </PageHeader>
      {c.state === 'loading' ? (
        <Loading what="the communication" rows={3} />
      ) : c.state === 'failed' && !d ? (
        <Problem error={c.error} retry={c.reload} />
      ) : d ? (
        <section class="card" aria-labelledby="communication-title">
          <h2 id="communication-title">
            <StatusBadge status={d.Status} /> {d.Lines.length} {d.Lines.length === 1 ? 'line' : 'lines'} from{' '}
            <Link to={`/partners/${encodeURIComponent(d.partner)}`}>{d.partner}</Link>
          </h2>
          <p class="small">
            Received <Time iso={d.ReceivedAt} /> ·{' '}
            <Link to={withQuery('/messages', { sender: d.partner, since: d.ReceivedAt })}>its messages</Link>
          </p>
          <table class="responsive">
            <caption class="visually-hidden">Lines of communication {id}</caption>
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Errors</th>
              </tr>
            </thead>
            <tbody>
              {d.Lines.map((l) => (
                <tr key={l.apiuuid}>
                  <td data-label="Line" class="mono small">
                    {l.apiuuid}
                  </td>
                  <td data-label="Kind">{l.apiid}</td>
                  <td data-label="Status">
                    <StatusBadge status={l.Status} />
                  </td>
                  <td data-label="Errors">{(l.Errors ?? []).join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}
