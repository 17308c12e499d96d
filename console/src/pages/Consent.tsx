import { useState } from 'preact/hooks';
import { type Enablement, explain, ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, Time } from '../components.js';
import { useLoad } from '../data.js';
import { integrationsOf, nameOf } from '../integrations-cache.js';
import { useSession } from '../session-context.js';

/** Enablements waiting for the operator: grant or reject each, with an optional note. */
export function Consent() {
  const { client } = useSession();
  const queue = useLoad(
    () => ok(client.GET('/admin/enablements', { params: { query: { status: 'pending_consent' } } })),
    'consent',
    15_000,
  );
  const integrations = useLoad(() => integrationsOf(client), 'integrations');
  const [done, setDone] = useState<string | undefined>();
  return (
    <>
      <PageHeader title="Consent queue" />
      {done ? (
        <p class="notice" role="status">
          {done}
        </p>
      ) : null}
      {queue.state === 'loading' ? (
        <Loading what="the consent queue" rows={3} />
      ) : queue.state === 'failed' && !queue.data ? (
        <Problem error={queue.error} retry={queue.reload} />
      ) : queue.data && queue.data.enablements.length === 0 ? (
        <Empty>Nothing waits for consent: every enablement has been decided.</Empty>
      ) : (
        <ul class="plain consent">
          {queue.data?.enablements.map((e) => (
            <Pending
              key={e.id}
              e={e}
              name={nameOf(integrations.data, e.integrationId)}
              onDecided={(text) => {
                setDone(text);
                queue.reload();
              }}
            />
          ))}
        </ul>
      )}
    </>
  );
}

function Pending({ e, name, onDecided }: { e: Enablement; name: string; onDecided: (text: string) => void }) {
  const { client } = useSession();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const decide = async (granted: boolean) => {
    setBusy(true);
    setProblem(undefined);
    try {
      await ok(
        client.POST('/admin/enablements/{id}/consent', {
          params: { path: { id: e.id } },
          body: { granted, ...(note ? { note } : {}) },
        }),
      );
      onDecided(`${granted ? 'Granted' : 'Rejected'}: ${e.partner} on ${name}.`);
    } catch (error) {
      setProblem(explain(error).message);
      setBusy(false);
    }
  };
  return (
    <li class="card" aria-label={`${e.partner} asks for ${name}`}>
      <h2 class="h3">
        <strong>{e.partner}</strong> asks for{' '}
        <Link to={`/integrations/${encodeURIComponent(e.integrationId)}`}>{name}</Link>
      </h2>
      <p class="muted small">
        {e.direction ?? ''} · asked <Time iso={e.createdAt} />
        {e.schedule ? ` · schedule every ${e.schedule} min` : ''}
      </p>
      {e.history.length > 0 ? (
        <ul class="history small">
          {e.history.map((h) => (
            <li key={`${h.at}-${h.action}`}>
              <Time iso={h.at} /> {h.by}: {h.action}
              {h.note ? ` (“${h.note}”)` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      <div class="row">
        <label>
          Note (optional)
          <input
            name="note"
            value={note}
            maxLength={1024}
            onInput={(ev) => setNote(ev.currentTarget.value)}
          />
        </label>
        <button type="button" onClick={() => decide(true)} disabled={busy}>
          Grant
        </button>
        <button type="button" class="danger" onClick={() => decide(false)} disabled={busy}>
          Reject
        </button>
      </div>
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
    </li>
  );
}
