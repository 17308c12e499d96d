import {
  faceOf,
  type ResourceUse,
  type RouteDefinition,
  routes,
  schedules,
  usesOf,
  workers,
} from '../functions/routes.js';
import { functionId } from '../lib/constructs/hub-function.js';

/**
 * A day of sparse B2B traffic against Lambda's execution environments, for choosing how the route
 * table's routes are grouped into functions. Pure and seeded: the same seed gives the same day, and
 * every layout is run against that same day, so the layouts differ only in their grouping and in the
 * cold-start cost of their bundles (measured by bench/coldstarts.ts).
 *
 * The Lambda model: each function has a pool of execution environments. A request arriving when no
 * environment of its function is idle starts a new one (a cold start: the request waits for the
 * init, then runs); Lambda does not queue a request behind a busy environment. An environment idle for
 * the reclaim time is gone. Among idle environments the most recently used one serves (so a pool
 * shrinks back after a burst instead of keeping every environment warm by rotation). What the model
 * leaves out: environments Lambda recycles after some hours regardless of use, and the first calls of
 * a fresh environment (TLS to DynamoDB, the admin key's secret) being slower than later ones.
 */

/** A request for a route, by `METHOD path` as the route table writes it, or a worker's invocation. */
export type Target = { kind: 'route'; key: string } | { kind: 'worker'; id: string };

export interface Call {
  /** When it arrives, in ms since midnight. */
  at: number;
  target: Target;
  /** How long the handler runs on a warm environment, in ms. */
  durationMs: number;
}

/**
 * The day's traffic. Periodic clients start at a random phase and each call lands within ± jitter of
 * its slot (partners run on their own clocks, not all on the minute).
 */
export const SCENARIO = {
  seed: 20260601,
  jitterSeconds: 5,
  /** Hub-face partners: each posts every 5 min and polls its inbox every minute. */
  partners: 50,
  postEveryMinutes: 5,
  inboxEveryMinutes: 1,
  /** Receivers with a webhook (the Deliver worker pushes); the others fetch from their inbox. */
  pushShare: 0.5,
  /** Of the webhook receivers, those whose integration is ordered (the FIFO queue's worker). */
  orderedShare: 0.2,
  /** Partners sending large documents through presigned uploads, one an hour each. */
  uploaders: 5,
  uploadEveryMinutes: 60,
  /** Entity-row partners (Contract v2): a row PUT every 10 min, a listing every 30 min. */
  rowPartners: 10,
  rowEveryMinutes: 10,
  rowListEveryMinutes: 30,
  /** 3PL partners (seed 002): a replication post every 5 min, a token every hour, a status read after each post. */
  threeplPartners: 5,
  replicationEveryMinutes: 5,
  tokenEveryMinutes: 60,
  /** One ERP (seed 003) pulling every 2 minutes all day and pushing a packet every 15 min in office hours. */
  erpPullEveryMinutes: 2,
  erpPushEveryMinutes: 15,
  /** Devices of that ERP's area, in the field 07:00–19:00: a listing every 10 min, an upload every 30. */
  devices: 10,
  deviceListEveryMinutes: 10,
  deviceUploadEveryMinutes: 30,
  /** The operator: sessions in office hours, each opening the console, then a request every ~20 s. */
  operatorSessions: 8,
  operatorSessionMinutes: 20,
  operatorThinkSeconds: 20,
  officeHours: [8, 18] as const,
  fieldHours: [7, 19] as const,
} as const;

export type Scenario = {
  readonly [K in keyof typeof SCENARIO]: (typeof SCENARIO)[K] extends number
    ? number
    : readonly [number, number];
};

/** The same day on a small hub: a tenth of the partners (at least one of each kind), half the operator. */
export const SMALL_SCENARIO: Scenario = {
  ...SCENARIO,
  partners: 5,
  uploaders: 1,
  rowPartners: 1,
  threeplPartners: 1,
  devices: 1,
  operatorSessions: 4,
};

/**
 * Handler times on a warm environment (ms, uniform in the range), assumed from the shape of each
 * handler's work: a read is one or two DynamoDB calls, a post adds S3 and SQS, a delivery waits on a
 * partner's endpoint. The local hub's benches measure the hub's own share of these, not AWS's latency.
 */
const ROUTE_MS: Readonly<Record<string, readonly [number, number]>> = {
  'POST /v1/messages': [50, 80],
  'POST /v1/replicationpost': [50, 80],
  'PUT /v1/entities/{entity}/{id}': [50, 80],
  'GET /console': [5, 15],
  'GET /console/{proxy+}': [5, 15],
  'GET /admin/stats': [40, 120],
  'GET /admin/messages': [30, 80],
};
const GET_MS = [20, 40] as const;
const WRITE_MS = [40, 80] as const;
const WORKER_MS: Readonly<Record<string, readonly [number, number]>> = {
  Deliver: [80, 250],
  DeliverOrdered: [80, 250],
  UploadLanded: [100, 300],
  PacketLanded: [200, 800],
  DeadLetter: [20, 50],
  RowSweep: [20, 60],
};

/** Worker and scheduled-job function ids, as lib/stack.ts names them. */
export const workerFunctionId = (id: string): string =>
  schedules.some((s) => s.id === id) ? `${id}Job` : `${id}Worker`;

/** mulberry32: a tiny seeded generator, so the day is reproducible (Math.random cannot be seeded). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const routeKey = (r: Pick<RouteDefinition, 'method' | 'path'>): string => `${r.method} ${r.path}`;

/** Generates the day. Every route it calls must be in the route table, every worker in the workers list. */
export function generateDay(s: Scenario = SCENARIO): Call[] {
  const random = seeded(s.seed);
  const between = ([lo, hi]: readonly [number, number]) => lo + (hi - lo) * random();
  const known = new Set(routes.map(routeKey));
  const knownWorkers = new Set([...workers.map((w) => w.id), ...schedules.map((j) => j.id)]);
  const calls: Call[] = [];
  const route = (at: number, key: string): number => {
    if (!known.has(key)) throw new Error(`The traffic model calls ${key}, which the route table lacks.`);
    const [method] = key.split(' ');
    const durationMs = between(ROUTE_MS[key] ?? (method === 'GET' ? GET_MS : WRITE_MS));
    if (at >= 0 && at < DAY) calls.push({ at, target: { kind: 'route', key }, durationMs });
    return at + durationMs;
  };
  const worker = (at: number, id: string): number => {
    if (!knownWorkers.has(id)) throw new Error(`The traffic model invokes ${id}, which no worker is.`);
    const durationMs = between(WORKER_MS[id] ?? [50, 150]);
    if (at >= 0 && at < DAY) calls.push({ at, target: { kind: 'worker', id }, durationMs });
    return at + durationMs;
  };
  /** Slots every `minutes` from a random phase, each moved by ± jitter, within [from, to) hours. */
  const slots = (minutes: number, from = 0, to = 24): number[] => {
    const period = minutes * MINUTE;
    const out: number[] = [];
    for (let t = from * HOUR + random() * period; t < to * HOUR; t += period)
      out.push(Math.max(0, t + (random() * 2 - 1) * s.jitterSeconds * 1000));
    return out;
  };
  /** The SQS event source hands a job to its worker about this long after the send. */
  const queueLagMs = () => between([20, 120]);

  // Hub-face partners: posts, inbox polls, payload reads and acknowledgements.
  const pushes = (p: number) => p < s.partners * s.pushShare;
  const inboxArrivals: number[][] = Array.from({ length: s.partners }, () => []);
  for (let p = 0; p < s.partners; p++) {
    for (const at of slots(s.postEveryMinutes)) {
      const accepted = route(at, 'POST /v1/messages');
      const receiver = Math.floor(random() * s.partners);
      if (pushes(receiver)) {
        const ordered = receiver < s.partners * s.pushShare * s.orderedShare;
        worker(accepted + queueLagMs(), ordered ? 'DeliverOrdered' : 'Deliver');
      } else inboxArrivals[receiver]?.push(accepted);
    }
  }
  for (let p = 0; p < s.partners; p++) {
    const arrivals = (inboxArrivals[p] ?? []).sort((a, b) => a - b);
    let seen = 0;
    for (const at of slots(s.inboxEveryMinutes)) {
      let t = route(at, 'GET /v1/inbox');
      let waiting = 0;
      while (seen < arrivals.length && (arrivals[seen] ?? DAY) <= at) {
        seen++;
        waiting++;
      }
      if (waiting === 0) continue;
      for (let i = 0; i < waiting; i++) t = route(t + 5, 'GET /v1/messages/{id}/payload');
      route(t + 5, 'POST /v1/inbox/done');
    }
    // Each partner checks its enablements once a day.
    route(random() * DAY, 'GET /v1/enablements');
  }
  for (let p = 0; p < s.uploaders; p++) {
    for (const at of slots(s.uploadEveryMinutes)) {
      const urlGiven = route(at, 'POST /v1/messages/uploads');
      // The partner PUTs the document to S3; its notification queues the upload worker, which routes it.
      const landed = worker(urlGiven + between([500, 3000]) + queueLagMs(), 'UploadLanded');
      worker(landed + queueLagMs(), 'Deliver');
    }
  }
  for (let p = 0; p < s.rowPartners; p++) {
    for (const at of slots(s.rowEveryMinutes))
      worker(route(at, 'PUT /v1/entities/{entity}/{id}') + queueLagMs(), 'Deliver');
    for (const at of slots(s.rowListEveryMinutes)) route(at, 'GET /v1/entities/{entity}');
  }
  for (let p = 0; p < s.threeplPartners; p++) {
    for (const at of slots(s.tokenEveryMinutes))
      route(at, p % 2 === 0 ? 'GET /v1/generatetoken' : 'POST /oauth2/token');
    for (const at of slots(s.replicationEveryMinutes)) {
      const accepted = route(at, 'POST /v1/replicationpost');
      worker(accepted + queueLagMs(), 'Deliver');
      route(accepted + 30_000, 'GET /v1/communications/{CommunicationID}');
    }
  }
  // The ERP and its devices: device uploads become packets the ERP pulls; ERP pushes become packets
  // the devices list.
  const deviceUploads: number[] = [];
  const erpPushes: number[] = [];
  for (let d = 0; d < s.devices; d++) {
    for (const at of slots(s.deviceUploadEveryMinutes, ...s.fieldHours)) {
      const urlGiven = route(at, 'GET /device/{appArea}/{mobileUser}/upload');
      const landed = worker(urlGiven + between([500, 3000]) + queueLagMs(), 'PacketLanded');
      deviceUploads.push(landed);
    }
  }
  for (const at of slots(s.erpPushEveryMinutes, ...s.officeHours)) {
    const urlGiven = route(at, 'GET /erp/push/{appArea}/{mobileUser}');
    const landed = worker(urlGiven + between([500, 3000]) + queueLagMs(), 'PacketLanded');
    erpPushes.push(landed);
    route(landed + 60_000, 'GET /erp/status/{appArea}/{syncLogId}');
  }
  deviceUploads.sort((a, b) => a - b);
  let pulled = 0;
  for (const at of slots(s.erpPullEveryMinutes)) {
    let t = route(at, 'GET /erp/pull/{appArea}');
    let waiting = 0;
    while (pulled < deviceUploads.length && (deviceUploads[pulled] ?? DAY) <= at) {
      pulled++;
      waiting++;
    }
    if (waiting === 0) continue;
    for (let i = 0; i < waiting; i++) t = route(t + 5, 'GET /erp/pull/{appArea}/link');
    route(t + 5, 'POST /erp/pull/{appArea}/done');
  }
  erpPushes.sort((a, b) => a - b);
  for (let d = 0; d < s.devices; d++) {
    let seen = 0;
    for (const at of slots(s.deviceListEveryMinutes, ...s.fieldHours)) {
      let t = route(at, 'GET /device/{appArea}/{mobileUser}/packets');
      let waiting = 0;
      while (seen < erpPushes.length && (erpPushes[seen] ?? DAY) <= at) {
        seen++;
        waiting++;
      }
      if (waiting === 0) continue;
      for (let i = 0; i < waiting; i++) t = route(t + 5, 'GET /device/{appArea}/{mobileUser}/link');
      route(t + 5, 'POST /device/{appArea}/{mobileUser}/done');
    }
  }
  // The operator: a session opens the console (its page, then three assets at once), then browses.
  const [open, close] = s.officeHours;
  for (let i = 0; i < s.operatorSessions; i++) {
    const start = (open + random() * (close - open)) * HOUR;
    const page = route(start, 'GET /console');
    for (let a = 0; a < 3; a++) route(page + 10, 'GET /console/{proxy+}');
    let t = page + 500;
    const end = start + s.operatorSessionMinutes * MINUTE;
    while (t < end) {
      t += -Math.log(1 - random()) * s.operatorThinkSeconds * 1000;
      route(t, pick(OPERATOR_ROUTES, random()));
    }
  }
  // The schedules: the row sweep every minute, the dead-letter sweep every five.
  for (const at of slots(1)) worker(at, 'RowSweep');
  for (const at of slots(5)) worker(at, 'DeadLetter');
  return calls.sort((a, b) => a.at - b.at);
}

/** What the operator opens, weighted: mostly the message log and what it links to. */
const OPERATOR_ROUTES: readonly (readonly [string, number])[] = [
  ['GET /admin/messages', 30],
  ['GET /admin/messages/{id}', 15],
  ['GET /admin/messages/{id}/payload', 5],
  ['POST /admin/messages/{id}/retry', 1],
  ['GET /admin/events', 10],
  ['GET /admin/stats', 10],
  ['GET /admin/partners', 5],
  ['GET /admin/partners/{code}', 5],
  ['GET /admin/partners/{code}/requests', 2],
  ['GET /admin/integrations', 8],
  ['GET /admin/integrations/{id}', 5],
  ['PATCH /admin/integrations/{id}', 1],
  ['GET /admin/enablements', 2],
  ['GET /admin/packets/{appArea}', 2],
  ['GET /admin/communications/{CommunicationID}', 2],
  ['GET /admin/threepl/fields', 1],
  ['GET /odata/Integrations', 1],
];

function pick(weighted: readonly (readonly [string, number])[], u: number): string {
  const total = weighted.reduce((n, [, w]) => n + w, 0);
  let x = u * total;
  for (const [key, w] of weighted) {
    x -= w;
    if (x < 0) return key;
  }
  return weighted[weighted.length - 1]?.[0] ?? '';
}

/** A layout: the function each route lands in. Workers and scheduled jobs keep their own functions. */
export interface Layout {
  name: string;
  functionOf: (route: RouteDefinition) => string;
}

/** The face a route belongs to for the per-face layout (the unauthenticated system routes go with the operator's). */
export function faceGroup(route: RouteDefinition): string {
  if (route.auth === 'admin' || route.auth === 'none') return 'Admin';
  const face = faceOf(route);
  if (face === 'threepl' || face === 'oauth') return 'Threepl';
  if (face === 'packets') return 'ErpDevice';
  if (route.auth === 'apiKey' && route.scope === 'entities') return 'Entities';
  return 'Messages';
}

/**
 * Routes of one face whose handlers use exactly the same resources share a function: the grouping
 * that merges what it can without widening any grant (numbered in route-table order).
 */
function byFaceAndUses(): (route: RouteDefinition) => string {
  const ids = new Map<string, string>();
  const perFace = new Map<string, number>();
  for (const r of routes) {
    const key = `${faceGroup(r)} ${[...usesOf(r)].sort().join()}`;
    if (ids.has(key)) continue;
    const n = (perFace.get(faceGroup(r)) ?? 0) + 1;
    perFace.set(faceGroup(r), n);
    ids.set(key, `Face${faceGroup(r)}${n}`);
  }
  return (r) => ids.get(`${faceGroup(r)} ${[...usesOf(r)].sort().join()}`) ?? functionId(r.handler);
}

export const LAYOUTS: readonly Layout[] = [
  { name: 'per route (today)', functionOf: (r) => functionId(r.handler) },
  { name: 'per face', functionOf: (r) => `Face${faceGroup(r)}` },
  { name: 'one for all routes', functionOf: () => 'AllRoutes' },
  { name: 'per face & grants', functionOf: byFaceAndUses() },
  // The five faces, but the unauthenticated routes (health, OpenAPI, the console's files) keep their
  // own function with no grant at all instead of taking the operator face's.
  {
    name: 'per face, system apart',
    functionOf: (r) => (r.auth === 'none' ? functionId(r.handler) : `Face${faceGroup(r)}`),
  },
];

/** The route functions of a layout, each with the handler files its bundle holds. */
export function functionsOf(layout: Layout): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of routes) {
    const id = layout.functionOf(r);
    out.set(id, (out.get(id) ?? new Set()).add(r.handler.file));
  }
  return out;
}

/**
 * How much wider a layout's grants are than each handler needs: a function gets the union of its
 * routes' uses, so every handler (today's functions, one per handler) runs with the union of its group.
 */
export function widenedGrants(layout: Layout): {
  handlersWidened: number;
  grantsWidened: number;
  handlers: number;
  worst: { handler: string; extra: readonly ResourceUse[] }[];
} {
  const unions = new Map<string, Set<ResourceUse>>();
  for (const r of routes) {
    const id = layout.functionOf(r);
    const set = unions.get(id) ?? new Set<ResourceUse>();
    for (const u of usesOf(r)) set.add(u);
    unions.set(id, set);
  }
  const seen = new Map<string, { extra: ResourceUse[] }>();
  for (const r of routes) {
    const handler = functionId(r.handler);
    if (seen.has(handler)) continue;
    const own = new Set(usesOf(r));
    const extra = [...(unions.get(layout.functionOf(r)) ?? [])].filter((u) => !own.has(u));
    seen.set(handler, { extra });
  }
  const all = [...seen].map(([handler, { extra }]) => ({ handler, extra }));
  return {
    handlers: all.length,
    handlersWidened: all.filter((x) => x.extra.length > 0).length,
    grantsWidened: all.reduce((n, x) => n + x.extra.length, 0),
    worst: all.sort((a, b) => b.extra.length - a.extra.length).slice(0, 3),
  };
}

export interface SimulationResult {
  requests: number;
  colds: number;
  /** Added latency of every route request (0 when warm), ms, in arrival order. */
  added: number[];
  /** Route requests and cold starts by route key. */
  byRoute: Map<string, { requests: number; colds: number }>;
  /** Requests and cold starts of the routes partners call (everything but the operator's and the system's). */
  partner: { requests: number; colds: number };
  workers: { invocations: number; colds: number };
  /** Most environments a function had at once. */
  peakEnvironments: Map<string, number>;
}

/**
 * Runs the day against one layout: `initMs(functionId)` is what a cold start adds before the handler
 * runs. An environment is reclaimed once idle for `reclaimMs`.
 */
export function simulate(
  calls: readonly Call[],
  functionOfCall: (target: Target) => string,
  initMs: (fn: string) => number,
  reclaimMs: number,
  isPartnerRoute: (key: string) => boolean = () => true,
): SimulationResult {
  // Each environment is the time it is next free; idle since then.
  const pools = new Map<string, number[]>();
  const result: SimulationResult = {
    requests: 0,
    colds: 0,
    added: [],
    byRoute: new Map(),
    partner: { requests: 0, colds: 0 },
    workers: { invocations: 0, colds: 0 },
    peakEnvironments: new Map(),
  };
  for (const call of calls) {
    const fn = functionOfCall(call.target);
    const pool = (pools.get(fn) ?? []).filter((freeAt) => freeAt > call.at || call.at - freeAt < reclaimMs);
    // The most recently freed idle environment serves, if any is idle.
    let best = -1;
    for (let i = 0; i < pool.length; i++) {
      const freeAt = pool[i] ?? 0;
      if (freeAt <= call.at && (best < 0 || freeAt > (pool[best] ?? 0))) best = i;
    }
    const cold = best < 0;
    const added = cold ? initMs(fn) : 0;
    const freeAt = call.at + added + call.durationMs;
    if (cold) pool.push(freeAt);
    else pool[best] = freeAt;
    pools.set(fn, pool);
    result.peakEnvironments.set(fn, Math.max(result.peakEnvironments.get(fn) ?? 0, pool.length));
    if (call.target.kind === 'worker') {
      result.workers.invocations++;
      if (cold) result.workers.colds++;
      continue;
    }
    result.requests++;
    result.added.push(added);
    if (cold) result.colds++;
    const r = result.byRoute.get(call.target.key) ?? { requests: 0, colds: 0 };
    r.requests++;
    if (cold) r.colds++;
    result.byRoute.set(call.target.key, r);
    if (isPartnerRoute(call.target.key)) {
      result.partner.requests++;
      if (cold) result.partner.colds++;
    }
  }
  return result;
}

/** The value at quantile q of the numbers (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
