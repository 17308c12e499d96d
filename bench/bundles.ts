import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type CfnResource } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { routes, schedules, workers } from '../functions/routes.js';
import { buildFunction, repoRoot } from '../lib/bundling.js';
import { functionId } from '../lib/constructs/hub-function.js';
import { CrossdockStack } from '../lib/stack.js';
import { stackName } from '../lib/stage.js';

export interface BundleFigure {
  /** The function's construct id in the stack. */
  id: string;
  file: string;
  /** What a cold start loads: index.mjs and the chunks it imports statically. */
  startupBytes: number;
  /** The chunks loaded only on demand (`await import()`): jsonata, the XML and OData parsers... */
  lazyBytes: number;
  /** A fresh node importing the synthesized asset with the function's own environment and NODE_OPTIONS. */
  importMs: number;
  nodeOptions: string;
  /** The three largest packages of the startup load, to show where the bytes come from. */
  largest: string;
  /** Where the import's CPU time goes, from a CPU profile of the same import (see profileImport). */
  spends: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function timeOnce(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - started;
}

/** What the Lambda runtime itself puts in a function's environment (credentials are placeholders). */
const LAMBDA_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  AWS_ACCESS_KEY_ID: 'ASIABENCHMARK',
  AWS_SECRET_ACCESS_KEY: 'benchmark',
  AWS_SESSION_TOKEN: 'benchmark',
  LANG: 'en_US.UTF-8',
  TZ: ':UTC',
};

/** A template value (a Ref, a GetAtt, a Join) stands for a deploy-time string; the import only needs its shape. */
function placeholder(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (/URL$/.test(name)) return `https://sqs.eu-west-1.amazonaws.com/123456789012/${name.toLowerCase()}`;
  if (/ARN$/.test(name)) return `arn:aws:sns:eu-west-1:123456789012:${name.toLowerCase()}`;
  return `crossdock-bench-${name.toLowerCase()}`;
}

/** Which handler file each function of the stack runs, by construct id (as lib/stack.ts names them). */
const handlerFiles = (): Map<string, string> =>
  new Map([
    ...routes.map((r) => [functionId(r.handler), r.handler.file] as const),
    ...workers.map((w) => [`${w.id}Worker`, w.handler.file] as const),
    ...schedules.map((j) => [`${j.id}Job`, j.handler.file] as const),
  ]);

/**
 * Synthesizes the prod stack with bundling (the assets CDK would upload), then for every function
 * measures its asset: the bytes a cold start loads (index.mjs and the chunks it imports statically;
 * lazily imported chunks apart), and the median time of a fresh `node` importing it the way Lambda
 * starts it, with the function's own environment from the template, its NODE_OPTIONS included, beside
 * a bare `node -e 0`. The runs are interleaved (one of each per round), so a burst of load on the
 * machine falls on every function alike rather than on a few. Then one CPU profile per function
 * says what its import spends time on.
 */
export async function benchBundles(runs = 9): Promise<{ bareNodeMs: number; bundles: BundleFigure[] }> {
  const outdir = join(repoRoot, 'bench', 'out');
  const cdkOut = join(outdir, 'cdk.out');
  rmSync(cdkOut, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new CrossdockStack(app, stackName('prod'), { stage: 'prod' });
  app.synth();
  const files = handlerFiles();

  const targets: {
    id: string;
    file: string;
    dir: string;
    args: string[];
    env: NodeJS.ProcessEnv;
    nodeOptions: string;
  }[] = [];
  for (const [id, fn] of stack.functions) {
    const cfn = fn.function.node.defaultChild as CfnFunction & CfnResource;
    const assetPath = cfn.getMetadata('aws:asset:path') as string | undefined;
    if (!assetPath) continue;
    const dir = join(cdkOut, assetPath);
    const resolved = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
    const variables = Object.fromEntries(
      Object.entries(resolved?.variables ?? {}).map(([k, v]) => [k, placeholder(k, v)]),
    );
    const env = { PATH: process.env.PATH ?? '', ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: id, ...variables };
    const url = pathToFileURL(join(dir, 'index.mjs')).href;
    targets.push({
      id,
      file: files.get(id) ?? '?',
      dir,
      args: ['--input-type=module', '-e', `await import(${JSON.stringify(url)})`],
      env,
      nodeOptions: (env as Record<string, string>).NODE_OPTIONS ?? '',
    });
  }

  const bare: number[] = [];
  const times = new Map(targets.map((t) => [t.id, [] as number[]]));
  for (let round = 0; round < runs; round++) {
    bare.push(timeOnce(['-e', '0']));
    for (const t of targets) times.get(t.id)?.push(timeOnce(t.args, t.env));
  }

  const bundles: BundleFigure[] = targets.map((t) => {
    const load = startupLoad(t.dir, t.file);
    return {
      id: t.id,
      file: t.file,
      startupBytes: load.startupBytes,
      lazyBytes: load.lazyBytes,
      importMs: median(times.get(t.id) ?? []),
      nodeOptions: t.nodeOptions,
      largest: top(load.bytesByPart, 3, (b) => `${Math.round(b / 1024)} KB`),
      spends: top(profileImport(t.dir, t.args, t.env), 5, (us) => `${(us / 1000).toFixed(0)} ms`),
    };
  });
  return { bareNodeMs: median(bare), bundles };
}

const top = (m: Map<string, number>, n: number, show: (v: number) => string) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${show(v)}`)
    .join(', ');

/** The package a bundled source path belongs to (`project` for the hub's own code). */
const partOf = (source: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1] ?? 'project';

/**
 * Reads the asset as deployed: index.mjs and the chunks it reaches through static imports (esbuild
 * writes them as `from"./chunk-….mjs"` or `import"./chunk-….mjs"`; an `import("./chunk-….mjs")` is
 * loaded on demand). Bytes per part come from the metafile of the same build (buildFunction, whose
 * chunk names are content hashes, so they name the asset's files).
 */
function startupLoad(
  dir: string,
  file: string,
): { startupBytes: number; lazyBytes: number; bytesByPart: Map<string, number> } {
  const all = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
  const loaded = new Set<string>();
  const queue = ['index.mjs'];
  while (queue.length > 0) {
    const f = queue.pop() as string;
    if (loaded.has(f)) continue;
    loaded.add(f);
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(
      /(?:from|import)\s*"\.\/(chunk-[\w-]+\.mjs)"/g,
    )) {
      if (m[1]) queue.push(m[1]);
    }
  }
  const size = (f: string) => statSync(join(dir, f)).size;
  const bytesByPart = new Map<string, number>();
  if (file !== '?') {
    const scratch = mkdtempSync(join(repoRoot, 'bench', 'out', 'meta-'));
    const { metafile } = buildFunction({ file }, scratch);
    rmSync(scratch, { recursive: true, force: true });
    for (const [out, info] of Object.entries(metafile.outputs)) {
      if (!loaded.has(basename(out))) continue;
      for (const [source, input] of Object.entries(info.inputs)) {
        bytesByPart.set(partOf(source), (bytesByPart.get(partOf(source)) ?? 0) + input.bytesInOutput);
      }
    }
  }
  return {
    startupBytes: [...loaded].reduce((a, f) => a + size(f), 0),
    lazyBytes: all.filter((f) => !loaded.has(f)).reduce((a, f) => a + size(f), 0),
    bytesByPart,
  };
}

/** V8's own categories in a CPU profile, and how the breakdown names them. */
const V8_FRAMES: Record<string, string> = {
  '(garbage collector)': 'gc',
  '(program)': 'V8 (parse, other)',
  '(idle)': 'idle',
  '(root)': 'V8 (parse, other)',
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/**
 * Where an import's CPU time goes, from `node --cpu-prof` of the same import (three profiles, their
 * sums by part divided by three; profiling adds some overhead, so read the figures as shares). Each
 * sample is charged to the innermost bundle function on its stack, mapped through the asset's source
 * maps to its package: time in node's own code (say, loading undici for the SDK) goes to the package
 * that asked for it. A sample with no bundle function on its stack is node's: `compile` while node
 * compiles the asset's modules, `node` for its startup and module loading, or one of V8's own.
 * Module top-level code (esbuild hoists an ESM package's top level into the chunk's) is `top level`.
 */
function profileImport(dir: string, args: string[], env: NodeJS.ProcessEnv, runs = 3): Map<string, number> {
  const maps = new Map<string, SourceMap>();
  const mapOf = (file: string) => {
    let m = maps.get(file);
    if (!m) {
      m = new SourceMap(JSON.parse(readFileSync(join(dir, `${file}.map`), 'utf8')));
      maps.set(file, m);
    }
    return m;
  };
  const assetUrl = pathToFileURL(dir).href;
  const spent = new Map<string, number>();
  for (let run = 0; run < runs; run++) {
    const profDir = mkdtempSync(join(repoRoot, 'bench', 'out', 'prof-'));
    const r = spawnSync(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100', ...args],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env,
      },
    );
    if (r.status !== 0) throw new Error(`profiling ${dir} failed: ${r.stderr}`);
    const [name] = readdirSync(profDir);
    const profile = JSON.parse(readFileSync(join(profDir, name ?? ''), 'utf8')) as {
      nodes: ProfileNode[];
      samples: number[];
      timeDeltas: number[];
    };
    rmSync(profDir, { recursive: true, force: true });
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const charged = new Map<number, string>();
    const chargeOf = (leaf: number): string => {
      const known = charged.get(leaf);
      if (known) return known;
      let part: string | undefined;
      let compiling = false;
      for (let id: number | undefined = leaf; id !== undefined && !part; id = parent.get(id)) {
        const f = byId.get(id)?.callFrame;
        if (!f) break;
        if (f.functionName === 'compileSourceTextModule') compiling = true;
        if (f.url.startsWith(assetUrl)) {
          const file = f.url.slice(assetUrl.length + 1);
          if (f.lineNumber === 0 && f.columnNumber === 0) part = 'top level';
          else {
            const entry = mapOf(file).findEntry(f.lineNumber, f.columnNumber);
            part =
              'originalSource' in entry && entry.originalSource ? partOf(entry.originalSource) : 'unmapped';
          }
        }
      }
      const leafFrame = byId.get(leaf)?.callFrame.functionName ?? '';
      part ??= compiling ? 'compile' : (V8_FRAMES[leafFrame] ?? 'node');
      charged.set(leaf, part);
      return part;
    };
    profile.samples.forEach((leaf, i) => {
      const part = chargeOf(leaf);
      spent.set(part, (spent.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0) / runs);
    });
  }
  spent.delete('idle');
  return spent;
}
