import { isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import type { HandlerRef } from '../functions/routes.js';

/**
 * How every Lambda handler is bundled: one definition read by the CDK NodejsFunction construct and by
 * the benchmark (which calls esbuild directly), so the bundle measured is the bundle deployed.
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
  external: [],
  alias: { [CREDENTIAL_CHAIN_MODULE]: ENV_CREDENTIALS_ENTRY },
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
} as const satisfies BuildOptions;

/** The same choices, in the shape of CDK's NodejsFunction `bundling` prop. */
export const nodejsBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: esbuildOptions.target,
  minify: esbuildOptions.minify,
  sourceMap: esbuildOptions.sourcemap,
  sourcesContent: esbuildOptions.sourcesContent,
  mainFields: [...esbuildOptions.mainFields],
  banner: esbuildOptions.banner.js,
  bundleAwsSDK: true,
  externalModules: [],
  esbuildArgs: { '--alias': `${CREDENTIAL_CHAIN_MODULE}=${ENV_CREDENTIALS_ENTRY}` },
};

/** The repository root (the directory holding package.json and package-lock.json). */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The lock file NodejsFunction hashes and mounts; fixed here so synth does not depend on the cwd. */
export const lockFilePath = join(repoRoot, 'package-lock.json');

/** The absolute path of a handler's entry file: `functions/<file>` under the repository root. */
export function entryPath(handler: Pick<HandlerRef, 'file'>): string {
  const file = normalize(handler.file);
  if (isAbsolute(file) || file === '..' || file.startsWith(`..${sep}`)) {
    throw new Error(`Handler file "${handler.file}" must be a relative path inside functions/.`);
  }
  return join(repoRoot, 'functions', file);
}
