import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The operator console is built once, before the files that serve it (test/e2e/console*.test.ts).
    // On `npm run test:dynamodb-local`, one DynamoDB Local for the whole run (test/support/dynamodb-local.ts).
    globalSetup: ['test/support/console-build.ts', 'test/support/dynamodb-local.ts'],
    pool: 'forks',
    // Integration files each start an embedded AWS; two at a time suits a two-core machine.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // No EMF lines in the test output; the metrics tests turn them on for their own files.
    env: { POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
