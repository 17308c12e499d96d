import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_CHAIN_MODULE, esbuildOptions, repoRoot } from '../../lib/bundling.js';

/**
 * The bundles swap the SDK's default credential chain for an environment-only provider. That leans on
 * SDK internals (each client's runtimeConfig imports `defaultProvider` from the chain's module), so
 * these tests fail when an SDK upgrade breaks the swap: a client that imports another name, stops
 * importing the module (the alias would silently do nothing), or no longer resolves credentials
 * through the stand-in.
 */

const CLIENT_CLASSES = {
  dynamodb: 'DynamoDBClient',
  s3: 'S3Client',
  'secrets-manager': 'SecretsManagerClient',
  sns: 'SNSClient',
  sqs: 'SQSClient',
} as const;
const CLIENTS = Object.keys(CLIENT_CLASSES) as (keyof typeof CLIENT_CLASSES)[];
// Under node_modules so the entry resolves the project's own SDK packages.
const cache = join(repoRoot, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'crossdock-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = join(dir, 'entry.mjs');
writeFileSync(
  entry,
  [
    ...CLIENTS.map((c, i) => `import { ${CLIENT_CLASSES[c]} as C${i} } from '@aws-sdk/client-${c}';`),
    `const names = ${JSON.stringify(CLIENTS)};`,
    'const out = [];',
    ...CLIENTS.map(
      (_, i) =>
        `{ const id = await new C${i}({ region: 'eu-west-1' }).config.credentials(); out.push([names[${i}], id.accessKeyId, id.secretAccessKey, id.sessionToken]); }`,
    ),
    'console.log(JSON.stringify(out));',
  ].join('\n'),
);

describe('the environment-only credential chain in the bundles', () => {
  it('is wired into the bundling options every function is built with', () => {
    expect(esbuildOptions.alias[CREDENTIAL_CHAIN_MODULE]).toMatch(/env-credentials\.ts$/);
  });

  it('replaces the default chain in every client the hub uses, and the clients take env credentials from it', async () => {
    const outfile = join(dir, 'out.mjs');
    // esbuild refuses a named import the stand-in does not export, so a renamed import fails here.
    const result = await build({
      ...esbuildOptions,
      entryPoints: { out: entry },
      outdir: dir,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('functions/adapters/env-credentials.ts'))).toBe(true);
    expect(inputs.filter((p) => p.includes('credential-provider-node'))).toEqual([]);
    expect(inputs.filter((p) => p.includes('nested-clients'))).toEqual([]);

    const run = spawnSync(process.execPath, [outfile], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ACCESS_KEY_ID: 'AKIDFROMENV',
        AWS_SECRET_ACCESS_KEY: 'secret-from-env',
        AWS_SESSION_TOKEN: 'token-from-env',
      },
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(
      CLIENTS.map((c) => [c, 'AKIDFROMENV', 'secret-from-env', 'token-from-env']),
    );
  });

  it('refuses to resolve when the environment holds no credentials (no fallback to other sources)', async () => {
    const outfile = join(dir, 'bare.mjs');
    await build({ ...esbuildOptions, entryPoints: { bare: entry }, outdir: dir, logLevel: 'silent' });
    const run = spawnSync(process.execPath, [outfile], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Unable to find environment variable credentials/);
  });

  it('is imported by each client under the name the stand-in exports', () => {
    for (const c of CLIENTS) {
      const config = readFileSync(
        join(repoRoot, 'node_modules', '@aws-sdk', `client-${c}`, 'dist-es', 'runtimeConfig.js'),
        'utf8',
      );
      expect(config, `client-${c}`).toMatch(
        /import \{ defaultProvider as \w+ \} from "@aws-sdk\/credential-provider-node"/,
      );
    }
  });
});
