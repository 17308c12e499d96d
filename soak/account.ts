import type { Face, Unit } from './faces.js';
import { ACCEPTING, type Arrival, type SoakPartner } from './partners.js';
import type { PollingReceiver } from './receivers.js';

export interface CrashWindow {
  killAt: number;
  readyAt: number;
}

/**
 * A request the partner got within this long before a kill may have been answered without the hub
 * recording it (the call's timeout plus the slowest answer, with room to spare).
 */
const BEFORE_KILL_MS = 15_000;

interface Input {
  units: Unit[];
  refusedAtAccept: { soakId: string; error: string }[];
  windows: CrashWindow[];
  partners: Record<'push' | 'notify' | 'refused' | 'rows' | 'threepl', SoakPartner>;
  pollers: { inbox: PollingReceiver; device: PollingReceiver };
  incarnations: { pid: number; peakRssKiB?: number; killed: boolean }[];
  retried: { network: number; serverError: number; keyInUse: number };
  wallMs: number;
  options: Record<string, unknown>;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number)
    : NaN;

export function account(i: Input) {
  const nearCrash = (t: number) => i.windows.some((w) => t >= w.killAt - BEFORE_KILL_MS && t <= w.readyAt);
  const partnerOf: Partial<Record<Face, SoakPartner>> = {
    push: i.partners.push,
    notify: i.partners.notify,
    refused: i.partners.refused,
    row: i.partners.rows,
    threepl: i.partners.threepl,
  };
  /** Every request a partner got for a unit, whatever it answered. */
  const arrivalsOf = (u: Unit): Arrival[] => {
    const p = partnerOf[u.face];
    if (!p) return [];
    if (u.face === 'row' || u.face === 'threepl') return p.bySoakId.get(u.soakId) ?? [];
    const prefix = `${u.messageId}.`;
    return [...p.byWebhook.entries()].filter(([id]) => id.startsWith(prefix)).flatMap(([, a]) => a);
  };
  /**
   * A failure is expected when the receiver was built never to accept, or when it never accepted
   * this unit: every attempt the hub made met a fault the partner chose (or a crash of the hub).
   */
  const explained = (u: Unit): string | undefined => {
    if (u.expectFailure) return 'the receiver never accepts (by construction)';
    const arrivals = arrivalsOf(u);
    if (arrivals.length === 0) return undefined;
    const accepted = arrivals.filter((a) => ACCEPTING.includes(a.action) && !nearCrash(a.at));
    if (accepted.length > 0) return undefined;
    if (arrivals.some((a) => a.action === 'redirect')) return 'redirected (3xx fails at once)';
    const faults = arrivals.filter((a) => !ACCEPTING.includes(a.action) || nearCrash(a.at));
    if (u.hub?.attempts !== undefined && faults.length < u.hub.attempts) return undefined;
    return `${faults.length} faults the partner chose (${[...new Set(faults.map((a) => a.action))].join(', ')})`;
  };

  const accepted = i.units.filter((u) => u.acceptedAt !== undefined);
  const delivered = accepted.filter((u) => u.hub?.status === 'delivered');
  const failed = accepted.filter((u) => u.hub?.status === 'failed');
  const failedExpected = failed.filter((u) => explained(u));
  const failedUnexplained = failed.filter((u) => !explained(u));
  const lost = accepted.filter((u) => u.hub?.status !== 'delivered' && u.hub?.status !== 'failed');

  // Duplicates by webhook-id: each arrival after the first, classified by what came before it.
  const duplicates = { retry: 0, crash: 0, unexplained: 0, examples: [] as string[] };
  for (const p of Object.values(i.partners)) {
    for (const [webhookId, arrivals] of p.byWebhook) {
      for (let k = 1; k < arrivals.length; k++) {
        const prev = arrivals[k - 1] as Arrival;
        if (!ACCEPTING.includes(prev.action)) duplicates.retry++;
        else if (nearCrash(prev.at)) duplicates.crash++;
        else {
          duplicates.unexplained++;
          if (duplicates.examples.length < 10) duplicates.examples.push(`${p.name} ${webhookId}`);
        }
      }
    }
    // One unit under two webhook-ids would be two deliveries of one document.
    if (p.name === 'rows' || p.name === 'threepl' || p.name === 'push') {
      for (const [soakId, arrivals] of p.bySoakId) {
        const ids = new Set(arrivals.map((a) => a.webhookId));
        if (ids.size > 1) {
          duplicates.unexplained++;
          if (duplicates.examples.length < 10)
            duplicates.examples.push(`${p.name} ${soakId} under ${[...ids].join(', ')}`);
        }
      }
    }
  }
  // Leased items handed out again: after a lost done (a crash) that is the lease doing its job.
  const leasesAgain = { crash: 0, unexplained: 0, examples: [] as string[] };
  for (const [name, poller] of Object.entries(i.pollers)) {
    for (const [id, leases] of poller.leases) {
      for (let k = 1; k < leases.length; k++) {
        const prev = leases[k - 1];
        if (prev && !prev.doneOk) leasesAgain.crash++;
        else {
          leasesAgain.unexplained++;
          if (leasesAgain.examples.length < 10) leasesAgain.examples.push(`${name} ${id}`);
        }
      }
    }
  }

  const histogram: Record<string, number> = {};
  for (const u of accepted) {
    // Pull deliveries make no attempts (the receiver leases them): they are left out.
    if (u.hub?.attempts === undefined || u.face === 'pull') continue;
    histogram[u.hub.attempts] = (histogram[u.hub.attempts] ?? 0) + 1;
  }
  const latencies = accepted
    .map((u) => {
      const r = u.face === 'apply' ? undefined : receivedAtOf(u, i);
      return r !== undefined && u.acceptedAt !== undefined ? Math.max(0, r - u.acceptedAt) : undefined;
    })
    .filter((x): x is number => x !== undefined)
    .sort((a, b) => a - b);
  const byFace: Record<string, { accepted: number; delivered: number; failed: number; lost: number }> = {};
  for (const u of accepted) {
    const f = byFace[u.face] ?? { accepted: 0, delivered: 0, failed: 0, lost: 0 };
    byFace[u.face] = f;
    f.accepted++;
    if (u.hub?.status === 'delivered') f.delivered++;
    else if (u.hub?.status === 'failed') f.failed++;
    else f.lost++;
  }
  const peaks = i.incarnations.map((x) => x.peakRssKiB ?? 0);
  const ok =
    lost.length === 0 &&
    failedUnexplained.length === 0 &&
    i.refusedAtAccept.length === 0 &&
    duplicates.unexplained === 0 &&
    leasesAgain.unexplained === 0 &&
    accepted.length === i.units.length;
  return {
    ok,
    options: i.options,
    units: i.units.length,
    accepted: accepted.length,
    refusedAtAccept: i.refusedAtAccept.length,
    refusedExamples: i.refusedAtAccept.slice(0, 5),
    delivered: delivered.length,
    failed: failed.length,
    failedExpected: failedExpected.length,
    failedUnexplained: failedUnexplained.length,
    failureReasons: tally(failedExpected.map((u) => explained(u) ?? '')),
    unexplainedExamples: failedUnexplained.slice(0, 10).map((u) => ({
      soakId: u.soakId,
      face: u.face,
      messageId: u.messageId,
      attempts: u.hub?.attempts,
      error: u.hub?.error,
      arrivals: arrivalsOf(u).map((a) => a.action),
    })),
    lost: lost.length,
    lostExamples: lost.slice(0, 10).map((u) => ({
      soakId: u.soakId,
      face: u.face,
      messageId: u.messageId,
      row: u.row,
      packet: u.packet,
      threepl: u.threepl,
    })),
    byFace,
    duplicates,
    leasesAgain,
    attemptsHistogram: histogram,
    acceptToReceiptMs: {
      count: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? NaN,
    },
    crashes: i.windows.map((w) => ({ downMs: w.readyAt - w.killAt })),
    peakRssKiB: { max: Math.max(0, ...peaks), perProcess: peaks },
    clientRetries: i.retried,
    wallSeconds: Math.round(i.wallMs / 100) / 10,
  };
}

function receivedAtOf(u: Unit, i: Input): number | undefined {
  switch (u.face) {
    case 'push':
      return i.partners.push.receivedAt.get(u.soakId);
    case 'notify':
      return i.partners.notify.receivedAt.get(u.soakId);
    case 'refused':
      return undefined;
    case 'row':
      return i.partners.rows.receivedAt.get(u.soakId);
    case 'threepl':
      return i.partners.threepl.receivedAt.get(u.soakId);
    case 'pull':
      return i.pollers.inbox.receivedAt.get(u.soakId);
    case 'erp':
    case 'erp-bad':
      return i.pollers.device.receivedAt.get(u.soakId);
    case 'apply':
      return undefined;
  }
}

const tally = (xs: string[]) => {
  const t: Record<string, number> = {};
  for (const x of xs) {
    const key = x.replace(/^\d+ /, 'n ');
    t[key] = (t[key] ?? 0) + 1;
  }
  return t;
};

export type Report = ReturnType<typeof account>;

export function printReport(r: Report) {
  const line = (k: string, v: unknown) => console.log(`  ${k.padEnd(30)} ${v}`);
  console.log('\nSoak report');
  line('options', JSON.stringify(r.options));
  line('units planned', r.units);
  line('accepted (2xx)', r.accepted);
  line('refused at accept', r.refusedAtAccept);
  line('delivered', r.delivered);
  line(
    'failed',
    `${r.failed} (${r.failedExpected} expected by construction, ${r.failedUnexplained} unexplained)`,
  );
  for (const [why, n] of Object.entries(r.failureReasons)) line('  expected because', `${n} × ${why}`);
  line('LOST', r.lost);
  line(
    'duplicates by webhook-id',
    `${r.duplicates.retry + r.duplicates.crash + r.duplicates.unexplained} (${r.duplicates.retry} after a retry, ${r.duplicates.crash} across a crash, ${r.duplicates.unexplained} unexplained)`,
  );
  line(
    'leases handed out again',
    `${r.leasesAgain.crash} after a lost done, ${r.leasesAgain.unexplained} unexplained`,
  );
  line(
    'attempts histogram',
    Object.entries(r.attemptsHistogram)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', '),
  );
  line(
    'accept → receipt',
    `p50 ${r.acceptToReceiptMs.p50} ms, p99 ${r.acceptToReceiptMs.p99} ms, max ${r.acceptToReceiptMs.max} ms (${r.acceptToReceiptMs.count} units)`,
  );
  line(
    'crashes (SIGKILL)',
    `${r.crashes.length}, down ${r.crashes.map((c) => `${(c.downMs / 1000).toFixed(1)} s`).join(', ')}`,
  );
  line(
    'hub peak RSS (VmHWM)',
    `${Math.round(r.peakRssKiB.max / 1024)} MiB max; per process ${r.peakRssKiB.perProcess.map((k) => Math.round(k / 1024)).join(', ')} MiB`,
  );
  line(
    'client retries',
    `${r.clientRetries.network} network errors, ${r.clientRetries.serverError} 5xx, ${r.clientRetries.keyInUse} × Idempotency-Key in use`,
  );
  line('wall time', `${r.wallSeconds} s`);
  console.log('  by face:');
  for (const [face, f] of Object.entries(r.byFace))
    console.log(
      `    ${face.padEnd(10)} accepted ${f.accepted}, delivered ${f.delivered}, failed ${f.failed}, lost ${f.lost}`,
    );
  if (r.lostExamples.length) console.log('  lost, e.g.:', JSON.stringify(r.lostExamples, null, 1));
  if (r.unexplainedExamples.length)
    console.log('  unexplained failures, e.g.:', JSON.stringify(r.unexplainedExamples, null, 1));
  if (r.refusedExamples.length)
    console.log('  refused at accept, e.g.:', JSON.stringify(r.refusedExamples, null, 1));
  if (r.duplicates.examples.length)
    console.log('  unexplained duplicates, e.g.:', r.duplicates.examples.join('; '));
  if (r.leasesAgain.examples.length) console.log('  leases again, e.g.:', r.leasesAgain.examples.join('; '));
  console.log(r.ok ? '\nSOAK OK: nothing lost.' : '\nSOAK FAILED (see above).');
}
