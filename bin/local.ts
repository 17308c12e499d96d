/**
 * The local hub: `npm start` (data kept in .crossdock/ or $CROSSDOCK_DATA_DIR), `npm start -- --in-memory`
 * for a throwaway run, `--demo` to register two demo partners and an integration and print a curl line.
 * `npm start` builds the operator console first (console/), which the hub serves at /console.
 */
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { startHub } from '../lib/local/hub.js';

const { values } = parseArgs({
  options: {
    'in-memory': { type: 'boolean', default: false },
    demo: { type: 'boolean', default: false },
    port: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const port = Number(values.port ?? process.env.PORT ?? 3000);
let demoSecret: string | undefined;

const hub = await startHub({
  port,
  inMemory: values['in-memory'],
  dataDir: process.env.CROSSDOCK_DATA_DIR ?? '.crossdock',
  onRequest: values.quiet
    ? undefined
    : ({ method, path, status, ms }) =>
        console.log(`${new Date().toISOString().slice(11, 23)} ${method} ${path} → ${status} (${ms} ms)`),
  demoReceiver: (headers, body, url) => {
    let verdict = 'signature not checked: not the demo integration';
    if (demoSecret) {
      try {
        new Webhook(demoSecret).verify(body, headers);
        verdict = 'signature ok';
      } catch {
        verdict = 'BAD SIGNATURE';
      }
    }
    console.log(
      `demo receiver ← ${headers['webhook-id']} from ${url.searchParams.get('sender')} (${body.length} bytes, ${verdict})`,
    );
  },
});

const lines = [
  '',
  'Crossdock local hub',
  `  API         ${hub.url}`,
  `  Console     ${hub.url}/console  (the operator console; sign in with the admin key below)`,
  `  OpenAPI     ${hub.url}/openapi.json`,
  `  OData       ${hub.url}/odata  (the registry, FinanceKey's wire format; admin key)`,
  `  Admin key   ${hub.adminKey}  (${hub.adminKeySource}${hub.adminKeySource === 'generated' && hub.dataDir ? `, saved to ${hub.dataDir}/admin-key` : ''})`,
  `  Data        ${hub.dataDir ? `${hub.dataDir}/ (kept across restarts)` : 'in memory (gone when this stops)'}`,
];
console.log(lines.join('\n'));

if (values.demo) {
  const demo = await createDemo(hub.url, hub.adminKey);
  demoSecret = demo.secret;
  console.log(
    [
      '',
      'Demo partners',
      `  acme      (sender)    key ${demo.acmeKey}`,
      `  shipfast  (receiver)  key ${demo.shipfastKey}`,
      `  integration ${demo.integrationId}: acme → shipfast, doctype "order", push to the demo receiver on this hub`,
      '',
      'Try it:',
      `  curl -s -X POST '${hub.url}/v1/messages?sender=acme&receiver=shipfast&doctype=order&version=1' \\`,
      `    -H 'x-api-key: ${demo.acmeKey}' -H 'content-type: application/json' -d '{"orderNo":"SO-1001","lines":2}'`,
      `  curl -s ${hub.url}/v1/messages/<id> -H 'x-api-key: ${demo.acmeKey}'`,
    ].join('\n'),
  );
}
console.log('\nPress Ctrl+C to stop.\n');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await hub.stop();
    process.exit(0);
  });
}

async function createDemo(base: string, adminKey: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = r.status === 204 ? {} : ((await r.json()) as Record<string, unknown>);
    return { status: r.status, json };
  };
  for (const [code, name] of [
    ['acme', 'Acme Retail (demo sender)'],
    ['shipfast', 'ShipFast 3PL (demo receiver)'],
  ]) {
    await call('POST', '/admin/partners', { code, name });
  }
  const acmeKey = (await call('POST', '/admin/partners/acme/keys', { label: 'demo' })).json.key as string;
  const shipfastKey = (await call('POST', '/admin/partners/shipfast/keys', { label: 'demo' })).json
    .key as string;
  // Re-created on each demo start, so the printed secret always matches the one the hub signs with.
  const existing = (await call('GET', '/admin/integrations')).json.integrations as {
    id: string;
    name: string;
  }[];
  for (const i of existing.filter((i) => i.name === 'demo: acme orders to shipfast')) {
    await call('DELETE', `/admin/integrations/${i.id}`);
  }
  const created = await call('POST', '/admin/integrations', {
    name: 'demo: acme orders to shipfast',
    direction: 'Outbound',
    entity: 'order',
    consentType: 'None',
    receiver: 'shipfast',
    delivery: { mode: 'push', url: `${base}/_local/demo-receiver`, format: 'raw' },
  });
  return {
    acmeKey,
    shipfastKey,
    integrationId: created.json.id as string,
    secret: created.json.secret as string,
  };
}
