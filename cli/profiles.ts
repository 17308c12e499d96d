import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import * as z from 'zod/mini';
import { CliError } from './errors.js';

/**
 * Profiles: named hubs (base URL + admin key) that `crossdock login` writes to
 * $XDG_CONFIG_HOME/crossdock/profiles.yaml (~/.config/… without it), mode 0600. A command uses the
 * profile named by --profile, else CROSSDOCK_PROFILE, else the file's `current` (see resolveTarget).
 */

const ProfileSchema = z.strictObject({ url: z.url(), adminKey: z.string().check(z.minLength(1)) });
export type Profile = z.infer<typeof ProfileSchema>;

const ProfilesFileSchema = z.strictObject({
  current: z.optional(z.string()),
  profiles: z.record(z.string(), ProfileSchema),
});
export type ProfilesFile = z.infer<typeof ProfilesFileSchema>;

export const DEFAULT_PROFILE = 'default';

export function profilesPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'crossdock', 'profiles.yaml');
}

/** The profiles file, or undefined when there is none yet. A file that cannot be read or parsed fails. */
export function readProfiles(path: string): ProfilesFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return undefined;
    throw new CliError(
      `Cannot read the profiles file ${path} (${code ?? String(error)}): fix its permissions (it should be yours, mode 600), or remove it and run \`crossdock login\` again.`,
      'profile_unreadable',
    );
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw garbled(path, reason);
  }
  const result = ProfilesFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw garbled(
      path,
      issue ? `${issue.path.join('.') || 'the file'}: ${issue.message}` : 'not a profiles file',
    );
  }
  return result.data;
}

const garbled = (path: string, reason: string) =>
  new CliError(
    `The profiles file ${path} is not valid (${reason}): fix it, or remove it and run \`crossdock login\` again.`,
    'profile_invalid',
  );

/** Saves the file with mode 0600 (its folder 0700), replacing it whole so a reader never sees half. */
export function writeProfiles(path: string, file: ProfilesFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const text = `# Crossdock CLI profiles, written by \`crossdock login\`. The admin keys are secrets: keep this file private.\n${YAML.stringify(file)}`;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export interface Target {
  url: string;
  adminKey: string;
  profile?: string;
}

export interface TargetOptions {
  url?: string;
  profile?: string;
}

/**
 * The hub and key a command talks to. --profile picks a profile whole (only --url overrides its URL);
 * otherwise --url, then CROSSDOCK_URL, and CROSSDOCK_ADMIN_KEY win over the profile chosen by
 * CROSSDOCK_PROFILE or the file's `current`, and with both variables set no file is read at all.
 */
export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const byFlag = Boolean(options.profile);
  const url = options.url ?? (byFlag ? undefined : env.CROSSDOCK_URL);
  const envKey = byFlag ? undefined : env.CROSSDOCK_ADMIN_KEY;
  const explicit = options.profile ?? env.CROSSDOCK_PROFILE;
  if (url && envKey && !explicit) return { url, adminKey: envKey };
  const path = profilesPath(env);
  const file = readProfiles(path);
  const name = explicit ?? file?.current ?? DEFAULT_PROFILE;
  const profile = file?.profiles[name];
  if (!profile) {
    if (explicit || file) {
      throw new CliError(
        `There is no profile "${name}" in ${path}: run \`crossdock login --profile ${name} --url <hub URL>\`.`,
        'no_profile',
      );
    }
    throw new CliError(
      'No hub configured: run `crossdock login --url <hub URL>` (the local hub: http://127.0.0.1:3000), or set CROSSDOCK_URL and CROSSDOCK_ADMIN_KEY.',
      'no_profile',
    );
  }
  return { url: url ?? profile.url, adminKey: envKey ?? profile.adminKey, profile: name };
}
