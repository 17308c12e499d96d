/**
 * The soak: `npm run soak` (10,000 units, three crashes), `npm run soak -- --messages 1000 --crashes 1`
 * in CI. Drives every face of the local hub (POST /v1/messages in push, notify, pull and apply mode,
 * 3PL replication lines, entity row changes, ERP packets) against partners that fail, hang, redirect,
 * answer slowly and close connections mid-answer, SIGKILLs the hub at seeded moments and starts it
 * again on its data folder, then accounts for every accepted unit. Exits 1 on any loss, any failure
 * the partners did not cause, any duplicate delivery neither a crash nor a retry explains.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type HubProcess, startHubProcess } from '../test/support/hub-process.js';
import { closedPort } from '../test/support/partner-server.js';
import { roll, seeded } from '../test/support/random.js';
import { account, type CrashWindow, printReport } from './account.js';
import {
  APPLY_ENTITY,
  ERP_AREA,
  type Face,
  MIX,
  postLines,
  postMessage,
  pushPacket,
  putRow,
  ROW_ENTITY,
  setUp,
  type Unit,
} from './faces.js';
import { hubClient, list, num, str } from './hub-client.js';
import { startSoakPartner } from './partners.js';
import { startPoller } from './receivers.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    crashes: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    'settle-minutes': { type: 'string', default: '15' },
    keep: { type: 'boolean', default: false },
    report: { type: 'string' },
  },
});
const N = Number(values.messages);
const CRASHES = Number(values.crashes);
const SEED = Number(values.seed);
const CONCURRENCY = Number(values.concurrency);
if (
  ![N, CRASHES, SEED, CONCURRENCY].every((v) => Number.isInteger(v) && v >= 0) ||
  N < 1 ||
  CONCURRENCY < 1
) {
  console.error('usage: npm run soak -- [--messages N] [--crashes N] [--seed N] [--concurrency N]');
  process.exit(2);
}

/** Seconds-long retry steps instead of the default hours, so every retry happens within the run. */
const DELIVERY = { maxAttempts: 5, retrySchedule: [1, 2, 4, 8], timeoutMs: 3000 };
/** How long a job a killed worker held stays hidden before another worker takes it. */
const VISIBILITY_SECONDS = 20;

const started = Date.now();
const workDir = mkdtempSync(join(tmpdir(), 'crossdock-soak-'));
const dataDir = join(workDir, 'data');
const hubLog = join(workDir, 'hub.log');
const adminKey = `soak-${randomBytes(12).toString('hex')}`;
const port = await closedPort();
const log = (line: string) =>
  console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(7)} s  ${line}`);

const incarnations: { pid: number; peakRssKiB?: number; killed: boolean }[] = [];
const start = async () => {
  const h = await startHubProcess({
    dataDir,
    adminKey,
    port,
    visibilitySeconds: VISIBILITY_SECONDS,
    onOutput: (chunk) => appendFileSync(hubLog, chunk),
  });
  incarnations.push({ pid: h.pid, killed: false });
  return h;
};
let hub: HubProcess = await start();
log(`hub ${hub.url} (pid ${hub.pid}), data ${dataDir}, seed ${SEED}`);
const client = hubClient(hub.url);

const notifyAuth = { key: '' };
const partners = {
  push: await startSoakPartner({ name: 'push', profile: 'chaos', seed: SEED }),
  notify: await startSoakPartner({ name: 'notify', profile: 'chaos', seed: SEED, notify: notifyAuth }),
  refused: await startSoakPartner({ name: 'refused', profile: 'refuse', seed: SEED }),
  rows: await startSoakPartner({ name: 'rows', profile: 'chaos', seed: SEED }),
  threepl: await startSoakPartner({ name: 'threepl', profile: 'chaos', seed: SEED }),
};
const setup = await setUp(
  client,
  adminKey,
  {
    push: partners.push.url,
    notify: partners.notify.url,
    refused: partners.refused.url,
    rows: partners.rows.url,
    threepl: partners.threepl.url,
  },
  DELIVERY,
);
notifyAuth.key = setup.notifyKey;
const inbox = startPoller(client, setup, 'inbox');
const device = startPoller(client, setup, 'device');

// ---- The plan: which face each unit takes, fixed by the seed ----
const random = seeded(SEED);
const faces = Object.entries(MIX) as [Face, number][];
const pick = (): Face => {
  let r = random();
  for (const [face, share] of faces) {
    if (r < share) return face;
    r -= share;
  }
  return 'push';
};
const units: Unit[] = [];
type Task = Unit[];
const tasks: Task[] = [];
while (units.length < N) {
  const face = pick();
  const k = face === 'threepl' ? Math.min(N - units.length, 1 + Math.floor(random() * 5)) : 1;
  const task = Array.from({ length: k }, (_, i) => {
    const n = units.length + i;
    return {
      n,
      soakId: `soak_${SEED}_${n}`,
      face,
      expectFailure: face === 'refused' || face === 'erp-bad',
    } satisfies Unit;
  });
  units.push(...task);
  tasks.push(task);
}
const crashAt = Array.from({ length: CRASHES }, () => Math.floor(N * (0.1 + random() * 0.8))).sort(
  (a, b) => a - b,
);
log(`${N} units in ${tasks.length} requests; crashes after ${crashAt.join(', ') || 'none'} accepted`);

// ---- Crashes ----
const windows: CrashWindow[] = [];
let accepted = 0;
let crashing: Promise<void> | undefined;
const crash = async () => {
  const current = incarnations.at(-1);
  if (current) {
    current.peakRssKiB = hub.peakRssKiB();
    current.killed = true;
  }
  const killAt = Date.now();
  await hub.kill();
  log(`SIGKILL hub pid ${hub.pid} at ${accepted} accepted (peak RSS ${current?.peakRssKiB ?? '?'} KiB)`);
  hub = await start();
  windows.push({ killAt, readyAt: Date.now() });
  log(`hub restarted on its data folder (pid ${hub.pid}) in ${((Date.now() - killAt) / 1000).toFixed(1)} s`);
};

// ---- Load ----
const refusedAtAccept: { soakId: string; error: string }[] = [];
const settledRows: string[] = [];
const rowsInFlight = new Set<string>();
let next = 0;
const run = async (task: Task) => {
  const u = task[0] as Unit;
  switch (u.face) {
    case 'push':
    case 'notify':
    case 'pull':
    case 'apply':
    case 'refused':
      return postMessage(client, setup, u);
    case 'row': {
      // A third of the row changes are new versions of rows already written (none in flight).
      const free = settledRows.filter((id) => !rowsInFlight.has(id));
      const rowId =
        free.length > 0 && roll(SEED, 'row', u.n) < 0.33
          ? (free[Math.floor(roll(SEED, 'which', u.n) * free.length)] as string)
          : `inv-${u.n}`;
      rowsInFlight.add(rowId);
      try {
        await putRow(client, setup, u, rowId);
      } finally {
        rowsInFlight.delete(rowId);
      }
      if (!settledRows.includes(rowId)) settledRows.push(rowId);
      return;
    }
    case 'threepl':
      return postLines(client, setup, task);
    case 'erp':
    case 'erp-bad':
      return pushPacket(client, setup, u);
  }
};
let lastProgress = Date.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (;;) {
      const task = tasks[next++];
      if (!task) return;
      try {
        await run(task);
        accepted += task.length;
      } catch (e) {
        for (const u of task) refusedAtAccept.push({ soakId: u.soakId, error: (e as Error).message });
      }
      if (Date.now() - lastProgress > 15_000) {
        lastProgress = Date.now();
        log(`${accepted} accepted`);
      }
      if (!crashing && crashAt.length > 0 && accepted >= (crashAt[0] as number)) {
        crashAt.shift();
        crashing = crash().finally(() => {
          crashing = undefined;
        });
      }
    }
  }),
);
await crashing;
log(`load done: ${accepted} accepted, ${refusedAtAccept.length} refused at accept`);

// ---- Settling: ask the hub where each accepted unit is, until every one is terminal ----
const admin = { admin: adminKey };
const attemptsOf = async (messageId: string) => {
  const m = await client.call('GET', `/admin/messages/${messageId}`, admin);
  const d = list(m.json, 'deliveries')[0];
  const attempts = list(d, 'attempts');
  return {
    status: str(d, 'status'),
    attempts: attempts.length,
    error: str(attempts.at(-1), 'error') ?? str(d, 'error'),
  };
};
const receivedOf = (u: Unit): number | undefined => {
  switch (u.face) {
    case 'push':
      return partners.push.receivedAt.get(u.soakId);
    case 'notify':
      return partners.notify.receivedAt.get(u.soakId);
    case 'refused':
      return partners.refused.receivedAt.get(u.soakId);
    case 'row':
      return partners.rows.receivedAt.get(u.soakId);
    case 'threepl':
      return partners.threepl.receivedAt.get(u.soakId);
    case 'pull':
      return inbox.receivedAt.get(u.soakId);
    case 'erp':
    case 'erp-bad':
      return device.receivedAt.get(u.soakId);
    case 'apply':
      return u.receivedAt;
  }
};
const check = async (u: Unit): Promise<void> => {
  let status: 'delivered' | 'failed' | 'pending' = 'pending';
  let attempts: number | undefined;
  let error: string | undefined;
  if (u.face === 'row' && u.row) {
    const r = await client.call('GET', `/v1/entities/${ROW_ENTITY}/${u.row.id}`, { key: setup.rowsOwnerKey });
    const d = list(r.json, 'deliveries').find(
      (x) => num(x, 'version') === u.row?.version && str(x, 'integrationId') === setup.rowsIntegrationId,
    );
    const s = str(d, 'status');
    u.messageId = str(d, 'messageId') ?? u.messageId;
    if ((s === 'delivered' || s === 'failed') && u.messageId) {
      status = s;
      ({ attempts, error } = await attemptsOf(u.messageId));
      error = error ?? str(d, 'error');
    }
  } else if (u.face === 'threepl' && u.threepl) {
    const c = await client.call('GET', `/v1/communications/${u.threepl.communicationId}`, {
      bearer: setup.threeplToken,
    });
    const line = list(c.json, 'Lines').find(
      (l) => str(l, 'apiuuid')?.toLowerCase() === u.threepl?.apiuuid.toLowerCase(),
    );
    const s = str(line, 'Status');
    if (s === 'delivered' || s === 'failed') status = s;
    if (s === 'failed') error = String(list(line, 'Errors')[0] ?? '');
    // A post repeated across a crash finds its lines already taken: only the partner can tell.
    if (s === 'duplicate' && receivedOf(u) !== undefined) status = 'delivered';
  } else if ((u.face === 'erp' || u.face === 'erp-bad') && u.packet) {
    const r = await client.call('GET', `/erp/status/${ERP_AREA}/${u.packet.syncLogId}`, {
      key: setup.erpKey,
    });
    const s = str(r.json, 'status');
    if (s === 'done') status = 'delivered';
    if (s === 'failed') {
      status = 'failed';
      error = str(r.json, 'error');
    }
  } else if (u.messageId) {
    const a = await attemptsOf(u.messageId);
    if (a.status === 'delivered' || a.status === 'failed') {
      status = a.status;
      attempts = a.attempts;
      error = a.error;
    }
    if (u.face === 'apply' && status === 'delivered' && u.receivedAt === undefined) {
      const row = await client.call('GET', `/v1/entities/${APPLY_ENTITY}/shp-${u.n}`, {
        key: setup.applyReceiverKey,
      });
      if (str(row.json, 'data', 'soakId') === u.soakId) u.receivedAt = Date.now();
    }
  }
  // Delivered counts once the receiver really has it (a notify receiver fetches the payload after).
  if (status === 'delivered' && receivedOf(u) === undefined) status = 'pending';
  u.hub = { status, ...(attempts === undefined ? {} : { attempts }), ...(error ? { error } : {}) };
};
const settleUntil = Date.now() + Number(values['settle-minutes']) * 60_000;
for (let round = 1; ; round++) {
  const pending = units.filter(
    (u) => u.acceptedAt !== undefined && u.hub?.status !== 'delivered' && u.hub?.status !== 'failed',
  );
  if (pending.length === 0) break;
  if (Date.now() > settleUntil) {
    log(`settling stopped: ${pending.length} still pending`);
    break;
  }
  if (round > 1) await new Promise((r) => setTimeout(r, 3000));
  for (let i = 0; i < pending.length; i += 16) await Promise.all(pending.slice(i, i + 16).map(check));
  const left = pending.filter((u) => u.hub?.status === 'pending').length;
  log(`settling round ${round}: ${pending.length - left} of ${pending.length} now terminal`);
}

const last = incarnations.at(-1);
if (last) last.peakRssKiB = hub.peakRssKiB();
await inbox.stop();
await device.stop();
await hub.stop();
await Promise.all(Object.values(partners).map((p) => p.stop()));

const report = account({
  units,
  refusedAtAccept,
  windows,
  partners,
  pollers: { inbox, device },
  incarnations,
  retried: client.retried,
  wallMs: Date.now() - started,
  options: {
    messages: N,
    crashes: CRASHES,
    seed: SEED,
    concurrency: CONCURRENCY,
    ...DELIVERY,
    visibilitySeconds: VISIBILITY_SECONDS,
  },
});
printReport(report);
if (values.report) writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
if (report.ok && !values.keep) rmSync(workDir, { recursive: true, force: true });
else console.log(`\nThe hub's data folder and log are kept in ${workDir}`);
process.exit(report.ok ? 0 : 1);
