import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { clientFor } from './api.js';
import { Link } from './components.js';
import { zoneName } from './format.js';
import { CommunicationPage } from './pages/Communication.js';
import { Consent } from './pages/Consent.js';
import { Events } from './pages/Events.js';
import { IntegrationPage } from './pages/Integration.js';
import { Integrations } from './pages/Integrations.js';
import { Login } from './pages/Login.js';
import { MessagePage } from './pages/Message.js';
import { Messages } from './pages/Messages.js';
import { Overview } from './pages/Overview.js';
import { Packets } from './pages/Packets.js';
import { PartnerPage } from './pages/Partner.js';
import { Partners } from './pages/Partners.js';
import { Replay } from './pages/Replay.js';
import { type Location, useLocation } from './router.js';
import { forgetKey, storedKey } from './session.js';
import { SessionContext } from './session-context.js';

const NAV = [
  { to: '/', label: 'Overview', section: '' },
  { to: '/messages', label: 'Messages', section: 'messages' },
  { to: '/replay', label: 'Replay', section: 'replay' },
  { to: '/integrations', label: 'Integrations', section: 'integrations' },
  { to: '/partners', label: 'Partners and keys', section: 'partners' },
  { to: '/consent', label: 'Consent queue', section: 'consent' },
  { to: '/events', label: 'Events', section: 'events' },
  { to: '/packets', label: 'Packets', section: 'packets' },
] as const;

function page({ path, query }: Location) {
  const [, section = '', id, ...rest] = path.split('/');
  const decoded = id === undefined ? undefined : decodeURIComponent(id);
  if (rest.length > 0) return <NotFound />;
  switch (section) {
    case '':
      return <Overview />;
    case 'messages':
      return decoded ? <MessagePage id={decoded} /> : <Messages query={query} />;
    case 'integrations':
      return decoded ? <IntegrationPage id={decoded} /> : <Integrations />;
    case 'partners':
      return decoded ? <PartnerPage code={decoded} /> : <Partners />;
    case 'replay':
      return <Replay query={query} jobId={decoded} />;
    case 'consent':
      return <Consent />;
    case 'communications':
      return decoded ? <CommunicationPage id={decoded} /> : <NotFound />;
    case 'packets':
      return decoded ? <NotFound /> : <Packets query={query} />;
    case 'events':
      return decoded ? <NotFound /> : <Events query={query} />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <section>
      <h1>No such page</h1>
      <p>
        This address is not a page of the console. Go to the <Link to="/">overview</Link>.
      </p>
    </section>
  );
}

function App() {
  const location = useLocation();
  const [key, setKey] = useState(storedKey);
  const session = useMemo(
    () =>
      key
        ? {
            client: clientFor(key),
            signOut() {
              forgetKey();
              setKey(undefined);
            },
          }
        : undefined,
    [key],
  );
  const section = location.path.split('/')[1] ?? '';
  // A new page moves focus to its title, so keyboard and screen-reader users start there.
  useEffect(() => {
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [location.path]);

  if (!session) return <Login onSignedIn={setKey} />;
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to the page
      </a>
      <header class="top">
        <Link to="/" class="brand">
          Crossdock <span>console</span>
        </Link>
        <nav aria-label="Console">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={section === n.section ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="muted" title="Times are shown in this zone; hover one for UTC">
            {zoneName}
          </span>
          <button type="button" class="link" onClick={() => session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">{page(location)}</main>
    </SessionContext.Provider>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
