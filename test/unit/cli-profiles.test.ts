import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../cli/errors.js';
import { instant } from '../../cli/parse.js';
import { profilesPath, resolveTarget, writeProfiles } from '../../cli/profiles.js';

const dir = mkdtempSync(join(tmpdir(), 'crossdock-profiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('which hub and key a command uses', () => {
  const env = { XDG_CONFIG_HOME: dir };
  writeProfiles(profilesPath(env), {
    current: 'local',
    profiles: {
      local: { url: 'http://127.0.0.1:3000', adminKey: 'local-key' },
      test: { url: 'https://test.example', adminKey: 'test-key' },
    },
  });

  it('the current profile, or the one named by --profile or CROSSDOCK_PROFILE', () => {
    expect(resolveTarget({}, env)).toEqual({
      url: 'http://127.0.0.1:3000',
      adminKey: 'local-key',
      profile: 'local',
    });
    expect(resolveTarget({ profile: 'test' }, env).url).toBe('https://test.example');
    expect(resolveTarget({}, { ...env, CROSSDOCK_PROFILE: 'test' }).adminKey).toBe('test-key');
  });

  it('--url, then CROSSDOCK_URL, win over the profile; CROSSDOCK_ADMIN_KEY over its key; --profile over both variables', () => {
    const both = { ...env, CROSSDOCK_URL: 'http://env:1', CROSSDOCK_ADMIN_KEY: 'env-key' };
    expect(resolveTarget({ url: 'http://flag:1' }, both)).toEqual({
      url: 'http://flag:1',
      adminKey: 'env-key',
    });
    expect(resolveTarget({}, both)).toEqual({ url: 'http://env:1', adminKey: 'env-key' });
    expect(resolveTarget({}, { ...both, CROSSDOCK_PROFILE: 'test' })).toMatchObject({ url: 'http://env:1' });
    // --profile, a flag, picks that profile whole over the variables; only --url overrides its URL.
    expect(resolveTarget({ profile: 'test' }, both)).toEqual({
      url: 'https://test.example',
      adminKey: 'test-key',
      profile: 'test',
    });
    expect(resolveTarget({ profile: 'test', url: 'http://flag:1' }, both).url).toBe('http://flag:1');
    expect(resolveTarget({ url: 'http://flag:1' }, env)).toMatchObject({
      url: 'http://flag:1',
      adminKey: 'local-key',
    });
  });

  it('no file and no variables: a message that says to log in', () => {
    const none = { XDG_CONFIG_HOME: join(dir, 'empty') };
    expect(() => resolveTarget({}, none)).toThrow(CliError);
    expect(() => resolveTarget({}, none)).toThrow(/crossdock login --url/);
    expect(resolveTarget({}, { ...none, CROSSDOCK_URL: 'http://x:1', CROSSDOCK_ADMIN_KEY: 'k' }).url).toBe(
      'http://x:1',
    );
  });
});

describe('--since and --until', () => {
  const now = Date.parse('2026-12-02T12:00:00.000Z');
  it('take ISO 8601 as the hub reads it, or a time ago', () => {
    expect(instant('2026-12-01', now)).toBe('2026-12-01');
    expect(instant('2026-12-01T08:00:00+01:00', now)).toBe('2026-12-01T08:00:00+01:00');
    expect(instant('90s', now)).toBe('2026-12-02T11:58:30.000Z');
    expect(instant('2h', now)).toBe('2026-12-02T10:00:00.000Z');
    expect(instant('7d', now)).toBe('2026-11-25T12:00:00.000Z');
  });
  it('refuse anything else before a request is sent', () => {
    for (const bad of ['yesterday', '2h30m', '-1h', '2026-13-45', ''])
      expect(() => instant(bad, now)).toThrow(/ISO 8601/);
  });
});
