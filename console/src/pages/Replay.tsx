import { useState } from 'preact/hooks';
import { explain, ok } from '../api.js';
import { Link, Loading, PageHeader, Problem, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { isoToLocalInput, localInputToIso } from '../format.js';
import { integrationsOf } from '../integrations-cache.js';
import { navigate, withQuery } from '../router.js';
import { useSession } from '../session-context.js';

/**
 * Replay (POST /admin/messages/retry): choose the window and filters, see how many failed deliveries
 * a dry run counts, start the job, and watch its progress (GET /admin/jobs/{id}). The filters are
 * the page's query string, as on the Messages page, so "Replay these" there links here.
 */
export function Replay({ query, jobId }: { query: URLSearchParams; jobId?: string | undefined }) {
  if (jobId) return <ReplayJob id={jobId} />;
  return <ReplayForm query={query} />;
}

const DAY = 86_400_000;

function ReplayForm({ query }: { query: URLSearchParams }) {
  const { client } = useSession();
  const [since, setSince] = useState(query.get('since') ?? new Date(Date.now() - DAY).toISOString());
  const [until, setUntil] = useState(query.get('until') ?? '');
  const [integrationId, setIntegrationId] = useState(query.get('integrationId') ?? '');
  const [receiver, setReceiver] = useState(query.get('receiver') ?? '');
  const [matched, setMatched] = useState<{ n: number; for: string } | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const integrations = useLoad(() => integrationsOf(client), 'integrations');
  const body = {
    since,
    status: 'failed' as const,
    ...(until ? { until } : {}),
    ...(integrationId ? { integrationId } : {}),
    ...(receiver ? { receiver } : {}),
  };
  const asked = JSON.stringify(body);
  const run = async (dryRun: boolean) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const answer = await ok(
        client.POST('/admin/messages/retry', { body: { ...body, ...(dryRun ? { dryRun } : {}) } }),
      );
      if ('jobId' in answer) navigate(`/replay/${encodeURIComponent(answer.jobId)}`);
      else setMatched({ n: answer.matched, for: asked });
    } catch (error) {
      setProblem(explain(error).message);
    } finally {
      setBusy(false);
    }
  };
  const counted = matched && matched.for === asked ? matched.n : undefined;
  return (
    <>
      <PageHeader title="Replay failed deliveries">
        <Link
          to={withQuery('/messages', { status: 'failed', since, until, integrationId, receiver })}
          class="button secondary"
        >
          See them in the log
        </Link>
      </PageHeader>
      <section class="card" aria-labelledby="replay-title">
        <h2 id="replay-title">Which deliveries</h2>
        <p class="small muted">
          Every failed delivery of the messages received in the window starts again from attempt 1. A delivery
          already restarted or delivered is left alone, so replaying twice is safe.
        </p>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            void run(true);
          }}
        >
          <label>
            Received since
            <input
              type="datetime-local"
              required
              value={isoToLocalInput(since)}
              onInput={(e) => setSince(localInputToIso(e.currentTarget.value) ?? since)}
            />
          </label>
          <label>
            Until (empty: now)
            <input
              type="datetime-local"
              value={until ? isoToLocalInput(until) : ''}
              onInput={(e) => setUntil(localInputToIso(e.currentTarget.value) ?? '')}
            />
          </label>
          <label>
            Integration
            <select value={integrationId} onChange={(e) => setIntegrationId(e.currentTarget.value)}>
              <option value="">any</option>
              {(integrations.data ?? []).map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Receiver
            <input
              value={receiver}
              placeholder="a partner code"
              onInput={(e) => setReceiver(e.currentTarget.value.trim())}
            />
          </label>
          <div class="row">
            <button type="submit" class="secondary" disabled={busy}>
              Count (dry run)
            </button>
            <button
              type="button"
              disabled={busy || counted === undefined || counted === 0}
              onClick={() => run(false)}
            >
              Replay {counted === undefined ? '' : counted}
            </button>
          </div>
        </form>
        <p role="status" aria-live="polite">
          {counted === undefined
            ? 'Count first: the replay starts what the dry run counted.'
            : `${counted} failed ${counted === 1 ? 'delivery matches' : 'deliveries match'}.`}
        </p>
        {problem ? (
          <p class="problem" role="alert">
            {problem}
          </p>
        ) : null}
      </section>
    </>
  );
}

function ReplayJob({ id }: { id: string }) {
  const { client } = useSession();
  const job = useLoad(() => ok(client.GET('/admin/jobs/{id}', { params: { path: { id } } })), id, 1000);
  const j = job.data;
  return (
    <>
      <PageHeader title={`Replay ${id}`}>
        <Link to="/replay" class="button secondary">
          Another replay
        </Link>
      </PageHeader>
      {job.state === 'loading' ? (
        <Loading what="the replay" rows={2} />
      ) : job.state === 'failed' && !j ? (
        <Problem error={job.error} retry={job.reload} />
      ) : j ? (
        <section class="card" aria-labelledby="job-title">
          <h2 id="job-title">
            <StatusBadge status={j.status} /> {j.done} of {j.matched} started again
          </h2>
          <progress max={Math.max(1, j.matched)} value={j.done + j.failed} aria-label="Replay progress" />
          <p>
            {j.failed} could not be started again (their integration is gone, or they are no longer failed).
            Started <Time iso={j.startedAt} />
            {j.finishedAt ? (
              <>
                , finished <Time iso={j.finishedAt} />
              </>
            ) : null}
            .
          </p>
          <p>
            <Link to={withQuery('/messages', { status: 'failed' })}>The failed messages now</Link>
          </p>
        </section>
      ) : null}
    </>
  );
}
