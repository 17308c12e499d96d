import { describe, expect, it } from 'vitest';
import type { StoredCredential } from '../../functions/core/credentials.js';
import { HubError } from '../../functions/core/errors.js';
import {
  bearerTokenOf,
  FAILED_LOGIN_WINDOW_MS,
  hashPassword,
  isAcceptedContentType,
  LOGIN_LOCKOUT_MS,
  type LoginFailures,
  lockoutAddressOf,
  MAX_FAILED_LOGINS_PER_ADDRESS,
  MAX_FAILED_LOGINS_PER_USERNAME,
  type PasswordHasher,
  parseBasicAuthorization,
  parseClientCredentialsRequest,
  ThreeplError,
  type TokenRecord,
  verifyPassword,
} from '../../functions/core/tokens.js';
import {
  authenticateAccessToken,
  issueToken,
  setCredentials,
  type TokenPorts,
} from '../../functions/usecases/replication.js';

/** Where the logins of these tests come from, unless a test says otherwise. */
const ADDRESS = '203.0.113.7';
const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;

describe('3PL request parsing', () => {
  it('reads Basic credentials (RFC 7617), a colon in the password included', () => {
    expect(parseBasicAuthorization(basic('wms:s3cret:with:colons'))).toEqual({
      username: 'wms',
      password: 's3cret:with:colons',
    });
    expect(parseBasicAuthorization(basic('wms:pässwörd'))).toEqual({ username: 'wms', password: 'pässwörd' });
    expect(parseBasicAuthorization(`basic ${Buffer.from('a:b').toString('base64')}`)).toEqual({
      username: 'a',
      password: 'b',
    });
  });

  it('refuses what is not Basic base64(user:password)', () => {
    for (const header of [
      undefined,
      '',
      'Basic',
      'Basic !!!not-base64!!!',
      `Bearer ${Buffer.from('a:b').toString('base64')}`,
      basic('no-colon'),
      basic(':password-without-user'),
      `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, // not UTF-8
    ]) {
      expect(parseBasicAuthorization(header), String(header)).toBeUndefined();
    }
  });

  it('form-decodes OAuth client credentials (RFC 6749 §2.3.1)', () => {
    expect(parseBasicAuthorization(basic('my%20client:p%2Bw+d'), { formEncoded: true })).toEqual({
      username: 'my client',
      password: 'p+w d',
    });
    expect(parseBasicAuthorization(basic('a:%E0%A4%A'), { formEncoded: true })).toBeUndefined();
  });

  it('takes the token from Bearer or bare, and nothing else', () => {
    expect(bearerTokenOf('Bearer cdt_abc-DEF_123')).toBe('cdt_abc-DEF_123');
    expect(bearerTokenOf('bearer   cdt_abc')).toBe('cdt_abc');
    expect(bearerTokenOf('cdt_abc')).toBe('cdt_abc');
    expect(bearerTokenOf(' 1fjpSK/l3P== ')).toBe('1fjpSK/l3P==');
    for (const h of [undefined, '', 'Bearer', 'Basic YTpi', 'Token a b'])
      expect(bearerTokenOf(h)).toBeUndefined();
  });

  it('accepts JSON with any spelling of UTF-8, or no content type; anything else is refused (499)', () => {
    for (const ok of [
      undefined,
      '',
      'application/json',
      'application/json; charset=utf8',
      'application/json; charset=UTF-8',
      'Application/JSON;charset="utf-8"',
      'application/json;',
    ]) {
      expect(isAcceptedContentType(ok), String(ok)).toBe(true);
    }
    for (const bad of [
      'text/plain',
      'application/xml',
      'text/json',
      'application/json; charset=latin1',
      'application/x-www-form-urlencoded',
      'application/jsonp',
    ]) {
      expect(isAcceptedContentType(bad), bad).toBe(false);
    }
  });

  it('reads an OAuth client credentials request, Basic or in the form, never both', () => {
    const form = 'application/x-www-form-urlencoded';
    const body = (s: string) => Buffer.from(s);
    expect(parseClientCredentialsRequest(form, body('grant_type=client_credentials'), basic('u:p'))).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(
      parseClientCredentialsRequest(
        `${form}; charset=UTF-8`,
        body('grant_type=client_credentials&client_id=u&client_secret=p%26q'),
        undefined,
      ),
    ).toEqual({ username: 'u', password: 'p&q' });
    expect(
      parseClientCredentialsRequest(form, body('grant_type=client_credentials'), undefined),
    ).toBeUndefined();
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as HubError).code;
      }
      return 'no error';
    };
    expect(code(() => parseClientCredentialsRequest('application/json', body('{}'), basic('u:p')))).toBe(
      'invalid_request',
    );
    expect(code(() => parseClientCredentialsRequest(form, body('grant_type=password'), basic('u:p')))).toBe(
      'unsupported_grant_type',
    );
    expect(code(() => parseClientCredentialsRequest(form, body('scope=x'), basic('u:p')))).toBe(
      'invalid_request',
    );
    expect(
      code(() =>
        parseClientCredentialsRequest(form, body('grant_type=client_credentials&grant_type=x'), basic('u:p')),
      ),
    ).toBe('invalid_request');
    expect(
      code(() =>
        parseClientCredentialsRequest(
          form,
          body('grant_type=client_credentials&client_secret=p'),
          basic('u:p'),
        ),
      ),
    ).toBe('invalid_request');
  });
});

describe('passwords', () => {
  it('are scrypt hashes with a random salt that verify only the same password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'not-a-hash')).toBe(false);
  });
});

/** The credential repository in memory, with the same rules as the DynamoDB one. */
function memoryCredentials() {
  const creds = new Map<string, StoredCredential>();
  const owners = new Map<string, string>();
  const failures = new Map<string, LoginFailures>();
  const tokens = new Map<string, TokenRecord>();
  const calls: string[] = [];
  const failureKey = (username: string, address?: string) => JSON.stringify([username, address ?? null]);
  const live = (f: LoginFailures | undefined, now: number) =>
    f && (f.windowEndsAtMs > now || (f.lockedUntilMs ?? 0) > now) ? { ...f } : undefined;
  const count = (key: string, now: number) => {
    const f = failures.get(key);
    if (f && f.windowEndsAtMs > now) return ++f.count;
    failures.set(key, { count: 1, windowEndsAtMs: now + FAILED_LOGIN_WINDOW_MS });
    return 1;
  };
  const repo: TokenPorts['credentials'] = {
    async getCredential(username) {
      calls.push('getCredential');
      return creds.get(username);
    },
    async putCredential(c) {
      const existing = creds.get(c.username);
      if (existing && existing.partnerCode !== c.partnerCode) return false;
      creds.set(c.username, c);
      return true;
    },
    async swapPartnerUsername(partnerCode, username) {
      const previous = owners.get(partnerCode);
      owners.set(partnerCode, username);
      return previous;
    },
    async deleteCredential(username, partnerCode) {
      if (creds.get(username)?.partnerCode === partnerCode) creds.delete(username);
    },
    async getLoginFailures(username, address, now) {
      calls.push('getLoginFailures');
      return {
        address: live(failures.get(failureKey(username, address)), now),
        username: live(failures.get(failureKey(username)), now),
      };
    },
    async addLoginFailure(username, address, now) {
      calls.push('addLoginFailure');
      return {
        address: count(failureKey(username, address), now),
        username: count(failureKey(username), now),
      };
    },
    async lockLogin(username, address, untilMs) {
      calls.push('lockLogin');
      const f = failures.get(failureKey(username, address));
      if (f) f.lockedUntilMs = untilMs;
    },
    async clearLoginFailures(username, address) {
      if (address !== undefined) failures.delete(failureKey(username, address));
      else for (const k of failures.keys()) if (JSON.parse(k)[0] === username) failures.delete(k);
    },
    async putToken(hash, t) {
      tokens.set(hash, t);
    },
    async getToken(hash) {
      return tokens.get(hash);
    },
  };
  return { repo, calls, tokens };
}

/** A fast stand-in for scrypt that counts its calls: the timing rule is "every refusal verifies once". */
function countingHasher() {
  const verified: string[] = [];
  const hasher: PasswordHasher = {
    hash: async (p) => `plain$${p}`,
    verify: async (p, stored) => {
      verified.push(stored);
      return stored === `plain$${p}`;
    },
    dummyHash: async () => 'plain$\u0000dummy',
  };
  return { hasher, verified };
}

describe('tokens and credentials (use cases, injected clock)', () => {
  const setup = async (tokenTtlMs?: number) => {
    let now = Date.parse('2026-11-23T10:00:00Z');
    const clock = { now: () => now };
    const mem = memoryCredentials();
    const { hasher, verified } = countingHasher();
    const ports: TokenPorts = { credentials: mem.repo, passwords: hasher, clock };
    const registry = {
      getPartner: async (code: string) =>
        code === 'ghost' ? undefined : { code, name: code, createdAt: '' },
    };
    await setCredentials({ ...ports, registry }, 'wms', {
      username: 'wms-user',
      password: 'right-password',
      ...(tokenTtlMs ? { tokenTtlMs } : {}),
    });
    return {
      ports,
      registry,
      mem,
      verified,
      advance: (ms: number) => {
        now += ms;
      },
      now: () => now,
    };
  };
  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return e as ThreeplError;
    }
    throw new Error('expected a refusal');
  };

  it('issues a token that works until its lifetime (ExpirationMs) has passed, then is 403', async () => {
    const t = await setup(30_000);
    const issued = await issueToken(t.ports, { username: 'wms-user', password: 'right-password' }, ADDRESS);
    expect(issued).toMatchObject({ expiresInMs: 30_000, partnerCode: 'wms' });
    expect(issued.accessToken).toMatch(/^cdt_[A-Za-z0-9_-]{43}$/);
    // Only the hash is kept.
    expect([...t.mem.tokens.keys()][0]).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify([...t.mem.tokens])).not.toContain(issued.accessToken);

    const auth = (h: string | undefined) => authenticateAccessToken(t.ports, h);
    expect((await auth(`Bearer ${issued.accessToken}`)).partnerCode).toBe('wms');
    expect((await auth(issued.accessToken)).partnerCode).toBe('wms');
    t.advance(29_999);
    expect((await auth(issued.accessToken)).partnerCode).toBe('wms');
    t.advance(1);
    expect((await refusal(auth(issued.accessToken))).status).toBe(403);
    expect((await refusal(auth(undefined))).status).toBe(401);
    expect((await refusal(auth('Bearer cdt_unknown'))).status).toBe(403);
  });

  it('ends earlier tokens when the operator sets the credentials again', async () => {
    const t = await setup();
    const issued = await issueToken(t.ports, { username: 'wms-user', password: 'right-password' }, ADDRESS);
    await setCredentials({ ...t.ports, registry: t.registry }, 'wms', {
      username: 'wms-user',
      password: 'new-password!',
    });
    expect((await refusal(authenticateAccessToken(t.ports, issued.accessToken))).status).toBe(403);
    expect(
      (await refusal(issueToken(t.ports, { username: 'wms-user', password: 'right-password' }, ADDRESS)))
        .status,
    ).toBe(401);
    await issueToken(t.ports, { username: 'wms-user', password: 'new-password!' }, ADDRESS);
  });

  it('keeps usernames unique across partners, frees a replaced one, and knows unknown partners', async () => {
    const t = await setup();
    const set = (code: string, username: string) =>
      setCredentials({ ...t.ports, registry: t.registry }, code, { username, password: 'another-password' });
    expect((await refusal(set('other', 'wms-user'))).status).toBe(409);
    expect((await refusal(set('ghost', 'new-user'))).status).toBe(404);
    await set('wms', 'wms-renamed');
    await set('other', 'wms-user'); // the old name is free again
  });

  it('does the same work for every kind of refusal: one lookup, one scrypt, one counted failure', async () => {
    const t = await setup();
    const cases: [string, Parameters<typeof issueToken>[1]][] = [
      ['malformed header', undefined],
      ['unknown user', { username: 'nobody', password: 'x' }],
      ['wrong password', { username: 'wms-user', password: 'wrong' }],
    ];
    const traces: string[][] = [];
    for (const [name, given] of cases) {
      t.mem.calls.length = 0;
      t.verified.length = 0;
      const e = await refusal(issueToken(t.ports, given, ADDRESS));
      expect(e.status, name).toBe(401);
      expect(e.message, name).toBe(
        'No valid credentials were provided: send Authorization: Basic base64(username:password).',
      );
      expect(t.verified, name).toHaveLength(1);
      traces.push([...t.mem.calls]);
    }
    expect(traces[0]).toEqual(['getLoginFailures', 'getCredential', 'addLoginFailure']);
    expect(traces[1]).toEqual(traces[0]);
    expect(traces[2]).toEqual(traces[0]);
  });

  it(`locks a username after ${MAX_FAILED_LOGINS_PER_ADDRESS} failures (429, even for the right password) until the lockout ends`, async () => {
    const t = await setup();
    const wrong = () => issueToken(t.ports, { username: 'wms-user', password: 'wrong' }, ADDRESS);
    const right = () => issueToken(t.ports, { username: 'wms-user', password: 'right-password' }, ADDRESS);
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS; i++) expect((await refusal(wrong())).status).toBe(401);
    const locked = await refusal(right());
    expect(locked.status).toBe(429);
    expect(locked.details.retryAfterSeconds).toBe(LOGIN_LOCKOUT_MS / 1000);
    // Locked names are refused before scrypt runs: no CPU to burn for an attacker.
    t.verified.length = 0;
    expect((await refusal(wrong())).status).toBe(429);
    expect(t.verified).toHaveLength(0);
    // Other usernames are untouched, and a malformed header is never "locked".
    expect((await refusal(issueToken(t.ports, { username: 'someone', password: 'x' }, ADDRESS))).status).toBe(
      401,
    );
    t.advance(LOGIN_LOCKOUT_MS - 1000);
    expect((await refusal(right())).details.retryAfterSeconds).toBe(1);
    t.advance(1000);
    expect((await right()).partnerCode).toBe('wms');
    // A success clears the count: four more failures do not lock.
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS - 1; i++) await refusal(wrong());
    expect((await right()).partnerCode).toBe('wms');
  });

  it('locks a username only from the address that failed: its owner elsewhere still gets a token', async () => {
    const t = await setup();
    const attacker = '198.51.100.66';
    const from = (address: string, password: string) =>
      issueToken(t.ports, { username: 'wms-user', password }, address);
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS; i++) {
      expect((await refusal(from(attacker, `guess-${i}`))).status).toBe(401);
    }
    expect((await refusal(from(attacker, 'right-password'))).status).toBe(429);
    expect((await from(ADDRESS, 'right-password')).partnerCode).toBe('wms');
    // The owner's own typos are counted apart from the attacker's.
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS - 1; i++) await refusal(from(ADDRESS, 'typo'));
    expect((await from(ADDRESS, 'right-password')).partnerCode).toBe('wms');
    expect((await refusal(from(attacker, 'right-password'))).status).toBe(429);
  });

  it(`locks a username everywhere after ${MAX_FAILED_LOGINS_PER_USERNAME} failures from any addresses in one window`, async () => {
    const t = await setup();
    const from = (address: string, password: string) =>
      issueToken(t.ports, { username: 'wms-user', password }, address);
    const addresses = Math.ceil(MAX_FAILED_LOGINS_PER_USERNAME / MAX_FAILED_LOGINS_PER_ADDRESS);
    let failed = 0;
    for (let a = 0; a < addresses; a++) {
      for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS; i++) {
        // One short of the ceiling, the owner still gets in; a success does not reset the others' count.
        if (failed === MAX_FAILED_LOGINS_PER_USERNAME - 1) {
          expect((await from(ADDRESS, 'right-password')).partnerCode).toBe('wms');
        }
        expect((await refusal(from(`10.0.${a}.1`, 'guess'))).status).toBe(401);
        failed++;
      }
    }
    expect(failed).toBe(MAX_FAILED_LOGINS_PER_USERNAME);
    const locked = await refusal(from(ADDRESS, 'right-password'));
    expect(locked.status).toBe(429);
    expect(locked.details.retryAfterSeconds).toBe(LOGIN_LOCKOUT_MS / 1000);
    expect((await refusal(from('192.0.2.200', 'right-password'))).status).toBe(429);
    // Other usernames are untouched; the lock ends with its time.
    expect((await refusal(issueToken(t.ports, { username: 'someone', password: 'x' }, ADDRESS))).status).toBe(
      401,
    );
    t.advance(LOGIN_LOCKOUT_MS);
    expect((await from(ADDRESS, 'right-password')).partnerCode).toBe('wms');
  });

  it('counts failures in a window: failures spread wider than it never lock', async () => {
    const t = await setup();
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS * 2; i++) {
      expect(
        (await refusal(issueToken(t.ports, { username: 'wms-user', password: 'wrong' }, ADDRESS))).status,
      ).toBe(401);
      t.advance(FAILED_LOGIN_WINDOW_MS / (MAX_FAILED_LOGINS_PER_ADDRESS - 1));
    }
  });

  it('lifts every lockout of the username, from any address, when the operator sets the credentials again', async () => {
    const t = await setup();
    for (let a = 0; a < MAX_FAILED_LOGINS_PER_USERNAME / MAX_FAILED_LOGINS_PER_ADDRESS - 1; a++) {
      for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS; i++) {
        await refusal(issueToken(t.ports, { username: 'wms-user', password: 'x' }, `10.1.${a}.1`));
      }
    }
    for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS; i++)
      await refusal(issueToken(t.ports, { username: 'wms-user', password: 'x' }, ADDRESS));
    expect(
      (await refusal(issueToken(t.ports, { username: 'wms-user', password: 'right-password' }, ADDRESS)))
        .status,
    ).toBe(429);
    await setCredentials({ ...t.ports, registry: t.registry }, 'wms', {
      username: 'wms-user',
      password: 'fresh-password',
    });
    for (const address of [ADDRESS, '10.1.0.1']) {
      const issued = await issueToken(t.ports, { username: 'wms-user', password: 'fresh-password' }, address);
      expect(issued.partnerCode, address).toBe('wms');
    }
  });

  it('errors are typed: ThreeplError is a HubError with its status', async () => {
    const t = await setup();
    const e = await refusal(issueToken(t.ports, undefined, ADDRESS));
    expect(e).toBeInstanceOf(ThreeplError);
    expect(e).toBeInstanceOf(HubError);
  });
});

describe('lockout addresses', () => {
  it('counts IPv6 by its /64 and IPv4-mapped IPv6 as IPv4', () => {
    expect(lockoutAddressOf('2001:db8:1:2:aaaa::1')).toBe(lockoutAddressOf('2001:db8:1:2:ffff::9'));
    expect(lockoutAddressOf('2001:db8:1:2::1')).not.toBe(lockoutAddressOf('2001:db8:1:3::1'));
    expect(lockoutAddressOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(lockoutAddressOf('192.0.2.7')).toBe('192.0.2.7');
  });
});
