import { useState } from 'preact/hooks';
import { explain, ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, Time } from '../components.js';
import { useLoad } from '../data.js';
import { navigate } from '../router.js';
import { partnerProblems } from '../rules.js';
import { useSession } from '../session-context.js';

export function Partners() {
  const { client } = useSession();
  const list = useLoad(() => ok(client.GET('/admin/partners')), 'partners');
  return (
    <>
      <PageHeader title="Partners and keys" />
      <div class="grid">
        <section class="card wide" aria-labelledby="partners-title">
          <h2 id="partners-title">Partners</h2>
          {list.state === 'loading' ? (
            <Loading what="partners" rows={4} />
          ) : list.state === 'failed' ? (
            <Problem error={list.error} retry={list.reload} />
          ) : list.data.partners.length === 0 ? (
            <Empty>No partner yet: register the first one.</Empty>
          ) : (
            <table class="responsive">
              <caption class="visually-hidden">Partners</caption>
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col">Name</th>
                  <th scope="col">Registered</th>
                </tr>
              </thead>
              <tbody>
                {list.data.partners.map((p) => (
                  <tr key={p.code}>
                    <td data-label="Code">
                      <Link to={`/partners/${encodeURIComponent(p.code)}`}>{p.code}</Link>
                    </td>
                    <td data-label="Name">{p.name}</td>
                    <td data-label="Registered">
                      <Time iso={p.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <NewPartner onCreated={list.reload} />
      </div>
    </>
  );
}

function NewPartner({ onCreated }: { onCreated: () => void }) {
  const { client } = useSession();
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const [answer, setAnswer] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const problems = partnerProblems({ code, name });
  const shown = touched ? problems : {};
  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      await ok(client.POST('/admin/partners', { body: { code, name } }));
      onCreated();
      navigate(`/partners/${encodeURIComponent(code)}`);
    } catch (error) {
      setAnswer(explain(error).message);
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="new-partner-title">
      <h2 id="new-partner-title">Register a partner</h2>
      <label>
        Code
        <input
          name="code"
          value={code}
          spellcheck={false}
          onInput={(e) => {
            setCode(e.currentTarget.value);
            setTouched(true);
          }}
          aria-invalid={shown.code ? true : undefined}
          aria-describedby={shown.code ? 'err-code' : undefined}
        />
      </label>
      {shown.code ? (
        <span class="field-error" id="err-code">
          {shown.code}
        </span>
      ) : null}
      <label>
        Name
        <input
          name="name"
          value={name}
          onInput={(e) => {
            setName(e.currentTarget.value);
            setTouched(true);
          }}
          aria-invalid={shown.name ? true : undefined}
          aria-describedby={shown.name ? 'err-name' : undefined}
        />
      </label>
      {shown.name ? (
        <span class="field-error" id="err-name">
          {shown.name}
        </span>
      ) : null}
      <button type="submit" disabled={busy}>
        {busy ? 'Registering…' : 'Register partner'}
      </button>
      {answer ? (
        <p class="problem" role="alert">
          {answer}
        </p>
      ) : null}
    </form>
  );
}
