import { execSync } from 'node:child_process';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, type BuildResult, buildSync } from 'esbuild';
import type { HandlerRef } from '../functions/routes.js';

/**
 * How every Lambda handler is bundled: one esbuild build (`buildFunction`), run by the stack's assets
 * (`functionCode`) and by the benchmark, so the bundle measured is the bundle deployed.
 *
 * - ESM output for Node 24 (the Lambda runtime is nodejs24.x on arm64).
 * - The AWS SDK is bundled, not taken from the runtime: the version we test is the version we run, and
 *   a bundled, tree-shaken client loads faster than the runtime's full copy.
 * - `module` before `main`, so packages that ship both give esbuild their ESM build to tree-shake.
 * - The banner gives CommonJS dependencies a `require` inside the ESM bundle. `createRequire` is
 *   imported under a private alias so it cannot collide with a bundled module's own
 *   `import { createRequire } from 'module'`, which esbuild may hoist to the top level.
 * - The SDK's default credential chain (`@aws-sdk/credential-provider-node`, which bundles the STS and
 *   SSO clients) is aliased to functions/adapters/env-credentials.ts, which reads the credentials Lambda
 *   puts in the environment and nothing else (about 110 KB less per bundle).
 * - Code splitting: a handler's entry becomes `index.mjs`, and code it reaches only through
 *   `await import()` (jsonata, the XML parser, ...) goes to chunks beside it, loaded when first
 *   needed, not at cold start. CDK's NodejsFunction cannot split (it builds with `--outfile`), so
 *   the stack runs this build itself, locally, at synth (`cdk synth` still builds every asset offline).
 * - Source maps without sources content, shipped beside the bundle but not loaded at start
 *   (`--enable-source-maps` costs every cold start): `npm run stack -- <asset dir>` maps a logged
 *   stack trace back to the TypeScript.
 */

export const NODE_TARGET = 'node24';

export const ESM_REQUIRE_BANNER =
  "import { createRequire as __crossdockCreateRequire } from 'module'; const require = __crossdockCreateRequire(import.meta.url);";

export const MAIN_FIELDS = ['module', 'main'];

/** The module the SDK clients take their default credential chain from. */
export const CREDENTIAL_CHAIN_MODULE = '@aws-sdk/credential-provider-node';

/** Its stand-in, relative to the repository root (CDK's local bundling runs esbuild there). */
export const ENV_CREDENTIALS_ENTRY = './functions/adapters/env-credentials.ts';

/** Options for esbuild's own API (`esbuild.build({ ...esbuildOptions, entryPoints, outdir })`). */
export const esbuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: NODE_TARGET,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: MAIN_FIELDS,
  banner: { js: ESM_REQUIRE_BANNER },
  outExtension: { '.js': '.mjs' },
  splitting: true,
  // Beside index.mjs, so a chunk's `import.meta.url` (the expression worker's entry) resolves the same.
  chunkNames: 'chunk-[hash]',
  entryNames: '[name]',
  external: [],
  alias: { [CREDENTIAL_CHAIN_MODULE]: ENV_CREDENTIALS_ENTRY },
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
} as const satisfies BuildOptions;

/** The repository root (the directory holding package.json and package-lock.json). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The absolute path of a handler's entry file: `functions/<file>` under the repository root. */
export function entryPath(handler: Pick<HandlerRef, 'file'>): string {
  const file = normalize(handler.file);
  if (isAbsolute(file) || file === '..' || file.startsWith(`..${sep}`)) {
    throw new Error(`Handler file "${handler.file}" must be a relative path inside functions/.`);
  }
  return join(repoRoot, 'functions', file);
}

/**
 * Bundles one handler into `outdir`: `index.mjs`, its lazily loaded chunks, and their source maps.
 * Returns the metafile, which says which chunks `index.mjs` loads at start (static imports) and which
 * only on demand (dynamic imports).
 */
export function buildFunction(
  handler: Pick<HandlerRef, 'file'>,
  outdir: string,
): BuildResult<{ metafile: true }> {
  return buildSync({
    ...esbuildOptions,
    entryPoints: { index: entryPath(handler) },
    outdir,
    metafile: true,
    logLevel: 'warning',
  });
}

/** Commands run in the output directory once esbuild is done (the console's Vite build). */
export interface AfterBundling {
  afterBundling(inputDir: string, outputDir: string): string[];
}

/**
 * A function's code: the asset `buildFunction` writes, built locally at synth. The asset hash is the
 * output's, as NodejsFunction's was. A synth that skips bundling (infra tests, `cdk ls`) gets CDK's
 * placeholder hash without building. There is no Docker fallback: the build needs only esbuild.
 */
export function functionCode(handler: Pick<HandlerRef, 'file'>, hooks?: AfterBundling): Code {
  return Code.fromAsset(repoRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('esbuild-runs-locally'),
      // Never run (the local build always succeeds or throws), but CDK caches a bundled asset by its
      // source path and bundling options: naming the handler here keeps each function's build its own.
      command: ['build', handler.file, ...(hooks ? ['with-console'] : [])],
      local: {
        tryBundle(outputDir: string): boolean {
          buildFunction(handler, outputDir);
          for (const command of hooks?.afterBundling(repoRoot, outputDir) ?? []) {
            execSync(command, { stdio: ['ignore', 'ignore', 'inherit'] });
          }
          return true;
        },
      },
    },
  });
}
