import { join } from 'node:path';
import { build } from 'vite';
import { repoRoot } from '../../lib/bundling.js';

/**
 * Vitest global setup: builds the operator console once (about a second), before any test file
 * starts a hub that serves it, so no two files rebuild it under each other.
 */
export default async function setup(): Promise<void> {
  await build({ configFile: join(repoRoot, 'console', 'vite.config.ts'), logLevel: 'warn' });
}
