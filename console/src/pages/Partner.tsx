import { useState } from 'preact/hooks';
import { type ApiKey, explain, type IssuedKey, ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, SecretOnce, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { withQuery } from '../router.js';
import { keyProblems } from '../rules.js';
import { useSession } from '../session-context.js';

const SCOPES = ['messages', 'erp', 'device', 'entities'] as const;
type Scope = (typeof SCOPES)[number];

/**
 * A partner and its keys: issue one (shown once), revoke one; and what the hub refused it in the last
 * 7 days (GET /admin/partners/{code}/requests), so the operator can tell it why.
 */
export function PartnerPage({ code }: { code: string }) {
  const { client } = useSession();
  const partner = useLoad(
    () => ok(client.GET('/admin/partners/{code}', { params: { path: { code } } })),
    code,
  );
  const p = partner.data;
  return (
    <>
      <PageHeader title={p ? `${p.name} (${p.code})` : `Partner ${code}`}>
        <Link to={withQuery('/messages', { partner: code })} class="button secondary">
          Its messages
        </Link>
        <Link to="/partners" class="button secondary">
          Back to partners
        </Link>
      </PageHeader>
      {partner.state === 'loading' ? (
        <Loading what="the partner" rows={4} />
      ) : partner.state === 'failed' && !p ? (
        <Problem error={partner.error} retry={partner.reload} />
      ) : p ? (
        <div class="grid">
          <section class="card wide" aria-labelledby="keys-title">
            <h2 id="keys-title">API keys</h2>
            {p.keys.length === 0 ? (
              <Empty>No key yet: the partner cannot call the hub until you issue one.</Empty>
            ) : (
              <KeyTable code={code} keys={p.keys} onRevoked={partner.reload} />
            )}
          </section>
          <IssueKey code={code} keys={p.keys} onIssued={partner.reload} />
          <RefusedRequests code={code} />
        </div>
      ) : null}
    </>
  );
}

function KeyTable({
  code,
  keys,
  onRevoked,
}: {
  code: string;
  keys: readonly ApiKey[];
  onRevoked: () => void;
}) {
  const { client } = useSession();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const revoke = async (id: string) => {
    try {
      await ok(client.DELETE('/admin/partners/{code}/keys/{id}', { params: { path: { code, id } } }));
      setConfirming(undefined);
      onRevoked();
    } catch (error) {
      setProblem(explain(error).message);
    }
  };
  return (
    <>
      {problem ? (
        <p class="problem" role="alert">
          {problem}
        </p>
      ) : null}
      <table class="responsive">
        <caption class="visually-hidden">API keys of {code}</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Scopes</th>
            <th scope="col">Issued</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id}>
              <td data-label="Key">
                {k.label ? <strong>{k.label}</strong> : <span class="muted">no label</span>}
                <div class="muted small mono">{k.id}</div>
              </td>
              <td data-label="Scopes">
                {k.scopes.join(', ')}
                {k.mobileUser ? <div class="muted small">user {k.mobileUser}</div> : null}
              </td>
              <td data-label="Issued">
                <Time iso={k.createdAt} />
              </td>
              <td data-label="State">
                {k.revokedAt ? (
                  <>
                    <StatusBadge status="revoked" /> <Time iso={k.revokedAt} />
                  </>
                ) : confirming === k.id ? (
                  <span class="row">
                    <button type="button" class="danger" onClick={() => revoke(k.id)}>
                      Revoke now
                    </button>
                    <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                      Keep it
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => setConfirming(k.id)}
                    aria-label={`Revoke key ${k.label ?? k.id}`}
                  >
                    Revoke…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function IssueKey({ code, keys, onIssued }: { code: string; keys: readonly ApiKey[]; onIssued: () => void }) {
  const { client } = useSession();
  const [scopes, setScopes] = useState<Scope[]>(['messages', 'erp', 'device']);
  const [label, setLabel] = useState('');
  const [mobileUser, setMobileUser] = useState('');
  const [issued, setIssued] = useState<IssuedKey | undefined>();
  const [answer, setAnswer] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const body = { scopes, ...(label ? { label } : {}), ...(mobileUser ? { mobileUser } : {}) };
  const problems = keyProblems(body);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    setAnswer(undefined);
    try {
      setIssued(await ok(client.POST('/admin/partners/{code}/keys', { params: { path: { code } }, body })));
      setLabel('');
      setMobileUser('');
      onIssued();
    } catch (error) {
      setAnswer(explain(error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="issue-title">
      <h2 id="issue-title">Issue a key</h2>
      <fieldset>
        <legend>Scopes</legend>
        {SCOPES.map((s) => (
          <label class="inline" key={s}>
            <input
              type="checkbox"
              name="scopes"
              value={s}
              checked={scopes.includes(s)}
              onChange={(e) =>
                setScopes((now) => (e.currentTarget.checked ? [...now, s] : now.filter((x) => x !== s)))
              }
            />{' '}
            {s}
          </label>
        ))}
      </fieldset>
      {problems.scopes ? <span class="field-error">Choose at least one scope.</span> : null}
      <label>
        Label (optional)
        <input name="label" value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
      </label>
      {problems.label ? <span class="field-error">{problems.label}</span> : null}
      <label>
        Mobile user (optional: a device key for one user)
        <input name="mobileUser" value={mobileUser} onInput={(e) => setMobileUser(e.currentTarget.value)} />
      </label>
      {problems.mobileUser ? <span class="field-error">{problems.mobileUser}</span> : null}
      <button type="submit" disabled={busy || Object.keys(problems).length > 0}>
        {busy ? 'Issuing…' : 'Issue key'}
      </button>
      {answer ? (
        <p class="problem" role="alert">
          {answer}
        </p>
      ) : null}
      {/* A key revoked meanwhile is not worth copying any more. */}
      {issued && !keys.some((k) => k.id === issued.id && k.revokedAt) ? (
        <SecretOnce
          label={`New key for ${code}${issued.label ? ` (${issued.label})` : ''}`}
          value={issued.key}
          note="Shown only now: the hub keeps only its SHA-256. Give it to the partner over a safe channel."
        />
      ) : null}
    </form>
  );
}

/** The partner's refused requests (4xx) of the last 7 days, newest first. */
function RefusedRequests({ code }: { code: string }) {
  const { client } = useSession();
  const refused = useLoad(
    () =>
      ok(
        client.GET('/admin/partners/{code}/requests', {
          params: { path: { code }, query: { limit: '50' } },
        }),
      ),
    `refused-${code}`,
    30_000,
  );
  return (
    <section class="card wide" aria-labelledby="refused-title">
      <h2 id="refused-title">Refused requests (last 7 days)</h2>
      {refused.state === 'loading' ? (
        <Loading what="refused requests" rows={2} />
      ) : refused.state === 'failed' && !refused.data ? (
        <Problem error={refused.error} retry={refused.reload} />
      ) : refused.data && refused.data.requests.length === 0 ? (
        <Empty>The hub has refused nothing of this partner in the last 7 days.</Empty>
      ) : (
        <table class="responsive">
          <caption class="visually-hidden">Requests of {code} the hub refused</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Request</th>
              <th scope="col">Answer</th>
              <th scope="col">Client</th>
            </tr>
          </thead>
          <tbody>
            {(refused.data?.requests ?? []).map((r) => (
              <tr key={`${r.at}${r.path}`}>
                <td data-label="When">
                  <Time iso={r.at} />
                </td>
                <td data-label="Request" class="mono">
                  {r.method} {r.path}
                </td>
                <td data-label="Answer">
                  {r.status} <span class="mono">{r.code}</span>
                </td>
                <td data-label="Client" class="muted small">
                  {r.userAgent ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
