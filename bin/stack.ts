/**
 * `npm run stack -- <asset directory | .map file> [< trace.txt]`: maps a stack trace logged by a
 * deployed function back to the TypeScript. The functions run without `--enable-source-maps` (it
 * costs every cold start); their assets still carry `index.mjs.map` beside `index.mjs`
 * (lib/bundling.ts), so a trace is mapped afterwards: synthesize the deployed commit (`npm run synth`),
 * take the function's asset (`cdk.out/asset.<hash>`, the hash of its Code S3Key), and pipe the trace
 * from the logs in. Frames pointing at `index.mjs:<line>:<column>` are rewritten; other lines pass through.
 */
import { readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: npm run stack -- <asset directory | index.mjs.map> < trace.txt\n');
  process.exit(2);
}
const mapFile = statSync(target).isDirectory() ? join(target, 'index.mjs.map') : target;
const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));

/** Rewrites `index.mjs:L:C` (1-based, as V8 prints) to `source:line:column` of the original. */
function mapLine(line: string): string {
  return line.replace(/(?:file:\/\/)?[^\s()]*index\.mjs:(\d+):(\d+)/g, (whole, l: string, c: string) => {
    const entry = map.findEntry(Number(l) - 1, Number(c) - 1);
    if (!('originalSource' in entry) || !entry.originalSource) return whole;
    const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

const input = readFileSync(0, 'utf8');
process.stdout.write(input.split('\n').map(mapLine).join('\n'));
