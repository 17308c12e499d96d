import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { type CfnFunction, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFunction, esbuildOptions, functionCode, repoRoot } from '../../lib/bundling.js';

/**
 * The functions are split: what a handler reaches only through `await import()` must stay out of
 * what a cold start loads, and still work when it is loaded (the expression worker included).
 */
const cache = join(repoRoot, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'crossdock-bundling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The inputs of index.mjs and of the chunks it imports statically. */
function startupInputs(
  outputs: Record<string, { imports: { path: string; kind: string }[]; inputs: object }>,
) {
  const index = Object.keys(outputs).find((k) => k.endsWith('/index.mjs')) ?? '';
  const seen = new Set<string>();
  const queue = [index];
  while (queue.length > 0) {
    const k = queue.pop() as string;
    if (seen.has(k) || !outputs[k]) continue;
    seen.add(k);
    for (const i of outputs[k].imports) if (i.kind === 'import-statement') queue.push(i.path);
  }
  return [...seen].flatMap((k) => Object.keys(outputs[k]?.inputs ?? {}));
}

describe('split function bundles', () => {
  it('keep jsonata, the XML parser, the OData parser and S3 out of the cold start, in chunks beside it', () => {
    const xml = 'node_modules/fast-xml-parser/';
    const jsonata = 'node_modules/jsonata/';
    const odata = 'node_modules/@odata/parser/';
    const s3 = 'node_modules/@aws-sdk/client-s3/';
    const presigner = 'node_modules/@aws-sdk/s3-request-presigner/';
    // Integrations are validated with jsonata only when they carry an expression, S3 is reached
    // only for a document over 4 KB or a presigned link: all of it loads on first use.
    const cases: [string, string[]][] = [
      ['workers/deliver.ts', [jsonata, xml, s3]],
      ['http/messages.ts', [jsonata, xml, s3, presigner]],
      ['http/odata.ts', [odata, jsonata]],
      ['http/admin/integrations.ts', [jsonata]],
    ];
    for (const [file, lazy] of cases) {
      const { metafile } = buildFunction({ file }, join(dir, file.replace(/\W/g, '_')));
      const startup = startupInputs(metafile.outputs);
      const all = Object.values(metafile.outputs).flatMap((o) => Object.keys(o.inputs));
      expect(
        startup.some((p) => p.endsWith(`functions/${file}`)),
        file,
      ).toBe(true);
      for (const part of lazy) {
        expect(
          startup.filter((p) => p.includes(part)),
          `${file} loads ${part} at start`,
        ).toEqual([]);
        expect(
          all.some((p) => p.includes(part)),
          `${file} has ${part} in a chunk`,
        ).toBe(true);
      }
    }
  });

  it('load the lazy parts when used: an expression in its worker, XML parsed and built', async () => {
    const entry = join(dir, 'entry.mjs');
    writeFileSync(
      entry,
      [
        `import { evaluateExpression } from ${JSON.stringify(join(repoRoot, 'functions/core/expressions.ts'))};`,
        `import { renderDocument } from ${JSON.stringify(join(repoRoot, 'functions/core/render.ts'))};`,
        "const e = await evaluateExpression('a + 1', { a: 41 });",
        "const json = await renderDocument(Buffer.from('<o><n>1</n></o>'), 'application/xml', 'json');",
        'const xml = await renderDocument(Buffer.from(\'{"o":{"n":"1"}}\'), \'application/json\', \'xml\');',
        'console.log(JSON.stringify([e, Buffer.from(json.body).toString(), Buffer.from(xml.body).toString()]));',
        'process.exit(0);',
      ].join('\n'),
    );
    const out = join(dir, 'lazy');
    await build({ ...esbuildOptions, entryPoints: { index: entry }, outdir: out, logLevel: 'silent' });
    const run = spawnSync(process.execPath, [join(out, 'index.mjs')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([{ ok: true, value: 42 }, '{"o":{"n":"1"}}', '<o><n>1</n></o>']);
  });

  it('give each function its own asset (CDK would otherwise reuse the first build for every handler)', () => {
    const app = new App({ outdir: join(dir, 'cdk.out') });
    const stack = new Stack(app, 'Bundling');
    const hashes = ['http/threepl/tokens.ts', 'http/inbox.ts'].map((file, i) => {
      const fn = new LambdaFunction(stack, `F${i}`, {
        runtime: Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: functionCode({ file }),
      });
      return stack.resolve((fn.node.defaultChild as CfnFunction).code);
    });
    expect(hashes[0]).not.toEqual(hashes[1]);
  });
});
