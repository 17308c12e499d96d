#!/usr/bin/env node
// The operator CLI, the package's `crossdock` bin: `npx crossdock …` in a checkout. It runs the
// TypeScript in cli/ through tsx, as the project's other entry points do.
import { register } from 'tsx/esm/api';

register();
// `crossdock messages ls | head`: a reader that stops early is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
