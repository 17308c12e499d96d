import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { routes, schedules, workers } from '../functions/routes.js';
import { entryPath, esbuildOptions, repoRoot } from '../lib/bundling.js';
import { payloadBucket, queues, SETTINGS, tables, topics } from '../lib/resources.js';
import {
  faceGroup,
  functionsOf,
  generateDay,
  LAYOUTS,
  quantile,
  routeKey,
  SCENARIO,
  type SimulationResult,
  SMALL_SCENARIO,
  simulate,
  type Target,
  widenedGrants,
  workerFunctionId,
} from './coldstarts-model.js';

/**
 * What Lambda adds to a cold start before Node starts (creating the sandbox, fetching and unpacking the
 * code): an assumption, the same for every layout. Node's own start and the bundle's import are
 * measured (a fresh `node` importing the bundle).
 */
export const PLATFORM_INIT_MS = 100;

/** The idle-reclaim times the day is run against. */
export const RECLAIM_MINUTES = [5, 10, 15] as const;

export interface BundleImport {
  /** A route function of some layout, or a worker's. */
  fn: string;
  files: number;
  bytes: number;
  importMs: number;
}

export interface LayoutRow {
  scenario: string;
  layout: string;
  reclaimMinutes: number;
  functions: number;
  result: SimulationResult;
  worst: string;
}

/**
 * Every variable a function of the stack may read, with placeholder values: an import then finds the
 * configuration it parses at start whatever the grouping (values do not change what is loaded).
 */
function lambdaEnvironment(fn: string): NodeJS.ProcessEnv {
  const vars: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_NAME: fn,
    AWS_ACCESS_KEY_ID: 'ASIABENCHMARK',
    AWS_SECRET_ACCESS_KEY: 'benchmark',
    AWS_SESSION_TOKEN: 'benchmark',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    STAGE: 'prod',
    POWERTOOLS_SERVICE_NAME: 'crossdock',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    PUBLIC_BASE_URL: 'https://api.example.com',
    [SETTINGS.adminKeySecretArn]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
    [payloadBucket.envVar]: 'crossdock-bench-payloads',
  };
  for (const t of tables) vars[t.envVar] = `crossdock-bench-${t.id}`;
  for (const q of queues) {
    vars[q.envVar] = `https://sqs.eu-west-1.amazonaws.com/123456789012/${q.id}`;
    vars[q.deadLetter.envVar] = `https://sqs.eu-west-1.amazonaws.com/123456789012/${q.deadLetter.id}`;
  }
  for (const t of topics) vars[t.envVar] = `arn:aws:sns:eu-west-1:123456789012:${t.id}`;
  return vars;
}

/** One fresh `node` importing the bundle, the way the Lambda runtime loads a handler. */
function timeImport(file: string, fn: string): number {
  const args = ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`];
  const started = performance.now();
  const r = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: lambdaEnvironment(fn),
  });
  if (r.status !== 0) throw new Error(`importing ${fn} failed: ${r.stderr}`);
  return performance.now() - started;
}

/**
 * Builds one bundle holding every handler file of a function with lib/bundling.ts's esbuild options:
 * for one file, the bundle that function deploys; for several, the bundle a merged function would
 * ship, every module of every file loaded at start as a router over them would load it.
 */
async function bundle(fn: string, files: readonly string[], outdir: string) {
  const outfile = join(outdir, `${fn}.mjs`);
  const [only] = files;
  await build({
    ...esbuildOptions,
    ...(files.length === 1 && only !== undefined
      ? { entryPoints: [entryPath({ file: only })] }
      : {
          stdin: {
            contents: `${files.map((f, i) => `import * as m${i} from ${JSON.stringify(entryPath({ file: f }))};`).join('\n')}\nexport const handlers = [${files.map((_, i) => `m${i}`).join(', ')}];\n`,
            resolveDir: repoRoot,
            sourcefile: `${fn}.ts`,
            loader: 'ts',
          },
        }),
    outfile,
    logLevel: 'silent',
  });
  return { fn, outfile, files: files.length, bytes: statSync(outfile).size };
}

export async function benchColdstarts(runs = 5) {
  const outdir = join(repoRoot, 'bench', 'out', 'coldstarts');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const bareNodeMs = Math.min(
    ...Array.from({ length: runs }, () => {
      const started = performance.now();
      spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      return performance.now() - started;
    }),
  );

  // One bundle per distinct set of handler files: today's functions that share a file ship the same one.
  const layouts = LAYOUTS.map((layout) => ({ layout, functions: functionsOf(layout) }));
  const jobs = [
    ...workers.map((w) => ({ id: w.id, file: w.handler.file })),
    ...schedules.map((j) => ({ id: j.id, file: j.handler.file })),
  ];
  const wanted = new Map<string, { fn: string; files: string[] }>();
  const keyOf = new Map<string, string>();
  const want = (fn: string, files: Iterable<string>) => {
    const sorted = [...files].sort();
    const key = sorted.join('|');
    if (!wanted.has(key)) wanted.set(key, { fn, files: sorted });
    keyOf.set(fn, key);
  };
  // Layouts may reuse a function's name for another grouping (FaceAdmin with or without the system
  // routes), so a function is known by its layout too.
  const qualified = (layout: string, fn: string) => `${layout}/${fn}`;
  for (const { layout, functions } of layouts)
    for (const [fn, files] of functions) want(qualified(layout.name, fn), files);
  for (const j of jobs) want(qualified('workers', workerFunctionId(j.id)), [j.file]);
  const built = new Map<
    string,
    { fn: string; outfile: string; files: number; bytes: number; times: number[] }
  >();
  for (const [key, { fn, files }] of wanted)
    built.set(key, { ...(await bundle(`${built.size}-${fn.split('/').pop()}`, files, outdir)), times: [] });
  // Round-robin, and the least of the runs: the machine's other load only ever adds time, and taking
  // every bundle's runs across the same stretch keeps that load from favouring one layout.
  for (let run = 0; run < runs; run++)
    for (const b of built.values()) b.times.push(timeImport(b.outfile, b.fn));
  const imports = new Map<string, BundleImport>();
  for (const [fn, key] of keyOf) {
    const b = built.get(key);
    if (b)
      imports.set(fn, {
        fn: fn.slice(fn.lastIndexOf('/') + 1),
        files: b.files,
        bytes: b.bytes,
        importMs: Math.min(...b.times),
      });
  }
  const initMs = (layout: string) => (fn: string) =>
    (imports.get(qualified(layout, fn))?.importMs ??
      imports.get(qualified('workers', fn))?.importMs ??
      Number.NaN) + PLATFORM_INIT_MS;

  const days = [
    { name: 'the day', day: generateDay(SCENARIO) },
    { name: 'a small hub', day: generateDay(SMALL_SCENARIO) },
  ];
  const byKey = new Map(routes.map((r) => [routeKey(r), r]));
  const partnerRoute = (key: string) => {
    const r = byKey.get(key);
    return r !== undefined && faceGroup(r) !== 'Admin';
  };
  const rows: LayoutRow[] = [];
  for (const { name: scenario, day } of days)
    for (const { layout, functions } of layouts) {
      const fnOf = (t: Target) => {
        if (t.kind === 'worker') return workerFunctionId(t.id);
        const r = byKey.get(t.key);
        if (!r) throw new Error(`No route ${t.key}`);
        return layout.functionOf(r);
      };
      for (const reclaimMinutes of RECLAIM_MINUTES) {
        const result = simulate(day, fnOf, initMs(layout.name), reclaimMinutes * 60_000, partnerRoute);
        const worst = [...result.byRoute]
          .filter(([, x]) => x.colds > 0)
          .sort((a, b) => b[1].colds - a[1].colds || b[1].colds / b[1].requests - a[1].colds / a[1].requests)
          .slice(0, 3)
          .map(([key, x]) => `${key} ${x.colds}/${x.requests}`)
          .join('; ');
        rows.push({
          scenario,
          layout: layout.name,
          reclaimMinutes,
          functions: functions.size,
          result,
          worst,
        });
      }
    }
  return {
    bareNodeMs,
    imports,
    layouts: layouts.map(({ layout, functions }) => ({
      name: layout.name,
      functions: [...functions.keys()],
      grants: widenedGrants(layout),
    })),
    workerFunctions: jobs.map((j) => workerFunctionId(j.id)),
    rows,
    days: days.map(({ name, day }) => ({ name, calls: day.length })),
  };
}

/** The figures, as `npm run bench -- coldstarts` prints them. */
export async function printColdstarts(): Promise<void> {
  const r = await benchColdstarts();
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(
    `Cold starts over a simulated day of B2B traffic (bench/coldstarts-model.ts: 50 partners posting every 5 min and polling their inbox every minute, 5 uploaders, 10 row partners, 5 3PL partners, one ERP pulling every 2 min and its 10 devices, 8 operator sessions; seeded), per function layout and idle-reclaim time`,
  );
  console.log(
    `  cold start = a fresh node importing the function's bundle (measured: the least of 5 runs, taken round-robin over all bundles; bare node -e 0 ${ms(r.bareNodeMs)}) + ${PLATFORM_INIT_MS} ms assumed for Lambda's sandbox and code fetch`,
  );
  for (const layout of r.layouts) {
    const sized = layout.functions
      .map((fn) => r.imports.get(`${layout.name}/${fn}`))
      .filter((x) => x !== undefined);
    const importMs = sized.map((x) => x.importMs);
    const g = layout.grants;
    console.log(
      `  ${layout.name}: ${layout.functions.length} route functions + ${r.workerFunctions.length} worker/job functions; bundles ${kb(Math.min(...sized.map((x) => x.bytes)))}–${kb(Math.max(...sized.map((x) => x.bytes)))}, import ${ms(Math.min(...importMs))}–${ms(Math.max(...importMs))}; grants widened: ${g.grantsWidened} across ${g.handlersWidened} of ${g.handlers} handlers${g.worst[0] && g.worst[0].extra.length > 0 ? ` (most: ${g.worst[0].handler} +${g.worst[0].extra.length}: ${g.worst[0].extra.join(', ')})` : ''}`,
    );
    if (layout.functions.length <= 5) {
      for (const x of sized)
        console.log(
          `    ${x.fn.padEnd(16)} ${String(x.files).padStart(2)} handler files ${kb(x.bytes).padStart(8)}  import ${ms(x.importMs).padStart(7)}`,
        );
    }
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}%`;
  for (const { name, calls } of r.days) {
    console.log(
      `  ${name === 'the day' ? 'The day' : `The same day on a small hub (5 partners, one of each other kind, 4 operator sessions)`}: ${calls} calls (route requests and worker invocations)`,
    );
    console.log(
      `    ${'layout'.padEnd(22)} reclaim requests  cold   share partners  added p50/p99/p99.9 · mean   per cold peak envs  worst-hit routes (cold/requests)`,
    );
    for (const row of r.rows.filter((x) => x.scenario === name)) {
      const x = row.result;
      const peak = Math.max(
        ...[...x.peakEnvironments].filter(([fn]) => !r.workerFunctions.includes(fn)).map(([, n]) => n),
      );
      const added = `${quantile(x.added, 0.5).toFixed(0)}/${quantile(x.added, 0.99).toFixed(0)}/${quantile(x.added, 0.999).toFixed(0)} ms · ${mean(x.added).toFixed(1)} ms`;
      console.log(
        `    ${row.layout.padEnd(22)} ${`${row.reclaimMinutes} min`.padStart(7)} ${String(x.requests).padStart(8)} ${String(x.colds).padStart(5)} ${pct(x.colds, x.requests).padStart(7)} ${pct(x.partner.colds, x.partner.requests).padStart(8)}  ${added.padEnd(25)} ${ms(x.added.reduce((a, b) => a + b, 0) / Math.max(1, x.colds)).padStart(8)} ${String(peak).padStart(9)}  ${row.worst}`,
      );
    }
    for (const reclaim of RECLAIM_MINUTES) {
      const w = r.rows.find((x) => x.scenario === name && x.reclaimMinutes === reclaim)?.result.workers;
      if (w)
        console.log(
          `    workers and jobs (the same functions in every layout), reclaim ${reclaim} min: ${w.invocations} invocations, ${w.colds} cold (${pct(w.colds, w.invocations)})`,
        );
    }
  }
  console.log();
}
