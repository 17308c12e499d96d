import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { routes, workers } from '../functions/routes.js';
import { entryPath, esbuildOptions, repoRoot } from '../lib/bundling.js';

export interface BundleFigure {
  file: string;
  bytes: number;
  importMs: number;
  /** The three largest inputs, to show where the bytes come from. */
  largest: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function timeNode(args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

/**
 * Bundles every Lambda entry exactly as CDK does (lib/bundling.ts), then measures its size and the
 * median time of a fresh `node` importing it, next to a bare `node -e 0`.
 */
export async function benchBundles(runs = 9): Promise<{ bareNodeMs: number; bundles: BundleFigure[] }> {
  const outdir = join(repoRoot, 'bench', 'out');
  mkdirSync(outdir, { recursive: true });
  const files = [...new Set([...routes, ...workers].map((r) => r.handler.file))];
  const bareNodeMs = timeNode(['-e', '0'], runs);
  const bundles: BundleFigure[] = [];
  for (const file of files) {
    const outfile = join(outdir, `${file.replace(/[/.]/g, '_')}.mjs`);
    const result = await build({
      ...esbuildOptions,
      entryPoints: [entryPath({ file })],
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
    const largest = Object.entries(output?.inputs ?? {})
      .reduce<Map<string, number>>((acc, [path, info]) => {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'project';
        acc.set(pkg, (acc.get(pkg) ?? 0) + info.bytesInOutput);
        return acc;
      }, new Map())
      .entries();
    const top = [...largest]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([pkg, bytes]) => `${pkg} ${Math.round(bytes / 1024)} KB`)
      .join(', ');
    const importMs = timeNode(
      ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(outfile).href)})`],
      runs,
    );
    bundles.push({ file, bytes: statSync(outfile).size, importMs, largest: top });
  }
  return { bareNodeMs, bundles };
}
