import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type CfnResource } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { build } from 'esbuild';
import { routes, workers } from '../functions/routes.js';
import { entryPath, esbuildOptions, repoRoot } from '../lib/bundling.js';
import { functionId } from '../lib/constructs/hub-function.js';
import { CrossdockStack } from '../lib/stack.js';
import { stackName } from '../lib/stage.js';

export interface BundleFigure {
  /** The function's construct id in the stack. */
  id: string;
  file: string;
  bytes: number;
  /** A fresh node importing the synthesized asset with the function's own environment and NODE_OPTIONS. */
  importMs: number;
  /** The same import without NODE_OPTIONS: the difference is what those options cost at cold start. */
  bareImportMs: number;
  nodeOptions: string;
  /** The three largest inputs, to show where the bytes come from. */
  largest: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function timeNode(args: string[], runs: number, env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
    times.push(performance.now() - started);
  }
  return median(times);
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
  ]);

/**
 * Synthesizes the prod stack with bundling (the assets CDK would upload), then for every function
 * measures its asset's size and the median time of a fresh `node` importing it the way Lambda starts
 * it: with the function's own environment from the template, its NODE_OPTIONS included, beside a
 * bare `node -e 0`. The largest inputs come from an esbuild build of the same entry with the same
 * options (lib/bundling.ts), which also gives the metafile.
 */
export async function benchBundles(runs = 7): Promise<{ bareNodeMs: number; bundles: BundleFigure[] }> {
  const outdir = join(repoRoot, 'bench', 'out');
  const cdkOut = join(outdir, 'cdk.out');
  rmSync(cdkOut, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir: cdkOut, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new CrossdockStack(app, stackName('prod'), { stage: 'prod' });
  app.synth();
  const files = handlerFiles();

  const bareNodeMs = timeNode(['-e', '0'], runs);
  const largestOf = new Map<string, string>();
  const bundles: BundleFigure[] = [];
  for (const [id, fn] of stack.functions) {
    const cfn = fn.function.node.defaultChild as CfnFunction & CfnResource;
    const assetPath = cfn.getMetadata('aws:asset:path') as string | undefined;
    const file = files.get(id) ?? '?';
    if (!assetPath) continue;
    const asset = join(cdkOut, assetPath, 'index.mjs');
    const resolved = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
    const variables = Object.fromEntries(
      Object.entries(resolved?.variables ?? {}).map(([k, v]) => [k, placeholder(k, v)]),
    );
    const env = { PATH: process.env.PATH ?? '', ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: id, ...variables };
    const { NODE_OPTIONS: nodeOptions = '', ...withoutOptions } = env as Record<string, string>;
    const importArgs = [
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(asset).href)})`,
    ];
    if (!largestOf.has(file) && file !== '?') largestOf.set(file, await largestInputs(file, outdir));
    bundles.push({
      id,
      file,
      bytes: statSync(asset).size,
      importMs: timeNode(importArgs, runs, env),
      bareImportMs: nodeOptions ? timeNode(importArgs, runs, withoutOptions) : Number.NaN,
      nodeOptions,
      largest: largestOf.get(file) ?? '',
    });
  }
  return { bareNodeMs, bundles };
}

async function largestInputs(file: string, outdir: string): Promise<string> {
  const result = await build({
    ...esbuildOptions,
    entryPoints: [entryPath({ file })],
    outfile: join(outdir, `${file.replace(/[/.]/g, '_')}.mjs`),
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const byPackage = Object.entries(output?.inputs ?? {}).reduce<Map<string, number>>((acc, [path, info]) => {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'project';
    acc.set(pkg, (acc.get(pkg) ?? 0) + info.bytesInOutput);
    return acc;
  }, new Map());
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([pkg, bytes]) => `${pkg} ${Math.round(bytes / 1024)} KB`)
    .join(', ');
}
