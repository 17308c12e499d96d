/**
 * `npm run stack -- <asset directory | .map file> [< trace.txt]`: maps a stack trace logged by a
 * deployed function back to the TypeScript. The functions run without `--enable-source-maps` (it
 * costs every cold start); their assets still carry a `.map` beside `index.mjs` and each of its
 * chunks (lib/bundling.ts), so a trace is mapped afterwards: synthesize the deployed commit (`npm run
 * synth`), take the function's asset (`cdk.out/asset.<hash>`, the hash of its Code S3Key), and pipe the
 * trace from the logs in. Frames pointing at `index.mjs:<line>:<column>` or `chunk-….mjs:<line>:<column>`
 * are rewritten; other lines pass through.
 */
import { readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join } from 'node:path';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: npm run stack -- <asset directory | index.mjs.map> < trace.txt\n');
  process.exit(2);
}
// A directory is an asset (any of its files' maps); a .map file maps the file it sits beside.
const assetDir = statSync(target).isDirectory() ? target : dirname(target);
const maps = new Map<string, SourceMap | undefined>();
function mapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    try {
      maps.set(file, new SourceMap(JSON.parse(readFileSync(join(assetDir, `${file}.map`), 'utf8'))));
    } catch {
      maps.set(file, undefined);
    }
  }
  return maps.get(file);
}

/** Rewrites `<bundle file>.mjs:L:C` (1-based, as V8 prints) to `source:line:column` of the original. */
function mapLine(line: string): string {
  return line.replace(
    /(?:file:\/\/)?[^\s()]*?((?:index|chunk-[\w-]+)\.mjs):(\d+):(\d+)/g,
    (whole, file: string, l: string, c: string) => {
      const entry = mapOf(file)?.findEntry(Number(l) - 1, Number(c) - 1);
      if (!entry || !('originalSource' in entry) || !entry.originalSource) return whole;
      const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '');
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    },
  );
}

const input = readFileSync(0, 'utf8');
process.stdout.write(input.split('\n').map(mapLine).join('\n'));
