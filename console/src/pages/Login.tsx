import { useState } from 'preact/hooks';
import { clientFor, explain, ok } from '../api.js';
import { storeKey } from '../session.js';

/** The admin key, typed once per browser session and checked before it is kept. */
export function Login({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const given = key.trim();
    if (!given) {
      setProblem('Enter the admin key.');
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      await ok(clientFor(given).GET('/admin/partners'));
      storeKey(given);
      onSignedIn(given);
    } catch (error) {
      setProblem(explain(error).message);
      setBusy(false);
    }
  };
  return (
    <main class="login" id="main">
      <form onSubmit={submit} aria-labelledby="login-title" noValidate>
        <h1 id="login-title">Crossdock console</h1>
        <p>
          Enter the hub's admin key. It is kept in this browser tab only (session storage) and is gone when
          you close it.
        </p>
        <label for="admin-key">Admin key</label>
        <input
          id="admin-key"
          type="password"
          autocomplete="current-password"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'login-problem' : 'login-hint'}
          autofocus
        />
        <p class="hint" id="login-hint">
          The local hub prints it at start-up and keeps it in .crossdock/admin-key; a deployed stage keeps it
          in the Secrets Manager secret named by the stack output AdminKeySecretArn.
        </p>
        {problem ? (
          <p class="problem" id="login-problem" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
