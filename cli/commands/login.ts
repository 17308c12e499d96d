import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { createHubClient, HubError, ok } from '../../client/index.js';
import { action, hubInUse } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { DEFAULT_PROFILE, profilesPath, readProfiles, writeProfiles } from '../profiles.js';

const LOCAL_HUB = 'http://127.0.0.1:3000';

/** Asks for the key on the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const answer = new Promise<string>((resolve) => rl.question(question, resolve));
  muted = true;
  const key = await answer;
  rl.close();
  process.stderr.write('\n');
  return key.trim();
}

/** The first line of stdin, when it is not a terminal (`… | crossdock login --url …`). */
async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return (text.split('\n')[0] ?? '').trim();
}

/** login: checks the key against the hub, then saves the profile (mode 0600). */
export function loginCommand(program: Command): void {
  program
    .command('login')
    .description(`save a hub's URL and admin key as a profile (checked against the hub first)`)
    .option('--admin-key <key>', 'the admin key (else CROSSDOCK_ADMIN_KEY, else asked for)')
    .addHelpText(
      'after',
      `\nThe local hub prints its admin key when it starts (and keeps it in .crossdock/admin-key).\nProfiles are kept in ${profilesPath()}.`,
    )
    .action(
      action<{ adminKey?: string }>(async ({ out, options }, _args, { adminKey }) => {
        const path = profilesPath();
        const file = readProfiles(path) ?? { profiles: {} };
        const name = options.profile ?? process.env.CROSSDOCK_PROFILE ?? file.current ?? DEFAULT_PROFILE;
        const url = (
          options.url ??
          process.env.CROSSDOCK_URL ??
          file.profiles[name]?.url ??
          LOCAL_HUB
        ).replace(/\/+$/, '');
        try {
          new URL(url);
        } catch {
          throw usageError(`"${url}" is not a URL: give one like --url ${LOCAL_HUB}.`);
        }
        hubInUse.url = url;
        let key = adminKey ?? process.env.CROSSDOCK_ADMIN_KEY;
        if (!key)
          key = process.stdin.isTTY ? await promptHidden(`Admin key for ${url}: `) : await firstLineOfStdin();
        if (!key) throw usageError('No admin key: give --admin-key, or type it when asked.');
        try {
          await ok(createHubClient({ baseUrl: url, adminKey: key }).GET('/admin/partners'));
        } catch (error) {
          if (error instanceof HubError && error.status === 401) {
            throw new CliError(
              `The hub at ${url} refused this admin key (401): nothing was saved. The local hub prints its key when it starts and keeps it in <data dir>/admin-key.`,
              'unauthorized',
              1,
              401,
            );
          }
          throw error;
        }
        writeProfiles(path, {
          ...file,
          current: name,
          profiles: { ...file.profiles, [name]: { url, adminKey: key } },
        });
        if (out.json) return out.data({ profile: name, url, file: path });
        out.line(`Logged in to ${url} (profile "${name}", saved to ${path}).`);
      }),
    );
}
