import type { Command } from 'commander';
import { createHubClient, type HubClient } from '../client/index.js';
import { createOutput, type Output } from './output.js';
import { resolveTarget, type Target } from './profiles.js';

/** The options every command takes (declared on the program). */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
  profile?: string;
}

/** What a command runs with: its output, and the hub (resolved when the command first needs it). */
export interface Context {
  out: Output;
  options: GlobalOptions;
  target(): Target;
  client(): HubClient;
}

/** The hub URL of the running command, for error messages; set once a target is resolved. */
export const hubInUse: { url?: string } = {};

export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const out = createOutput(Boolean(options.json));
  let target: Target | undefined;
  let client: HubClient | undefined;
  const resolve = () => {
    target ??= resolveTarget(options);
    hubInUse.url = target.url;
    return target;
  };
  return {
    out,
    options,
    target: resolve,
    client() {
      const { url, adminKey } = resolve();
      client ??= createHubClient({ baseUrl: url, adminKey });
      return client;
    },
  };
}

/**
 * An action for commander: the command's positional arguments and its own options, with the context.
 * Commander calls actions with (...arguments, options, command).
 */
export function action<O>(run: (ctx: Context, args: string[], options: O) => Promise<void>) {
  return async (...received: unknown[]) => {
    const command = received[received.length - 1] as Command;
    const args = received.slice(0, -2) as string[];
    await run(contextOf(command), args, command.opts<O & Record<string, unknown>>());
  };
}
