import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { eventCommands } from './commands/events.js';
import { integrationCommands } from './commands/integrations.js';
import { loginCommand } from './commands/login.js';
import { messageCommands } from './commands/messages.js';
import { packetCommands } from './commands/packets.js';
import { partnerCommands } from './commands/partners.js';
import { statsCommand } from './commands/stats.js';
import { hubInUse } from './context.js';
import { EXIT, explain } from './errors.js';

/**
 * The operator CLI, `crossdock <command>`: the admin API over HTTP through the typed client
 * (client/). Every command takes --json; exit 0 done, 1 failed (the hub said 4xx/5xx, or could not be
 * reached), 2 usage error.
 */
export function buildProgram(): Command {
  const program = new Command('crossdock')
    .description("Crossdock's operator CLI: partners, keys, integrations, the message log and events")
    .version(pkg.version)
    .option('--json', 'machine-readable output (one JSON document; the tail commands, one per line)')
    .option('--url <url>', 'the hub (overrides the profile and CROSSDOCK_URL)')
    .option('--profile <name>', 'the profile to use (else CROSSDOCK_PROFILE, else the one last logged in to)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  loginCommand(program);
  partnerCommands(program);
  integrationCommands(program);
  messageCommands(program);
  eventCommands(program);
  packetCommands(program);
  statsCommand(program);
  // Commands given no subcommand show their help as a usage error.
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const program = buildProgram();
  if (json) {
    const usage = (text: string, write: (s: string) => void) =>
      write(
        `${JSON.stringify({ error: { code: 'usage', message: text.replace(/^error: /, '').trim() } })}\n`,
      );
    const configure = (c: Command) => {
      c.configureOutput({ outputError: usage });
      c.showHelpAfterError(false);
      c.commands.forEach(configure);
    };
    configure(program);
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version asked for are not errors; commander has printed the rest.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    const failure = explain(error, hubInUse.url);
    if (json) {
      const body = {
        code: failure.code,
        message: failure.message,
        ...(failure.status ? { status: failure.status } : {}),
      };
      process.stderr.write(`${JSON.stringify({ error: body })}\n`);
    } else {
      process.stderr.write(`crossdock: ${failure.message}\n`);
    }
    return failure.exitCode;
  }
}
