import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { HubError } from './errors.js';
import { capReason } from './reason.js';
import { sha256Hex } from './secrets.js';

/**
 * The 3PL token rules (seed 002): Basic credentials → an opaque access token with a lifetime.
 * Free of AWS; the repositories keep what these functions decide.
 */

/**
 * Seed 002 says `ExpirationMs` "should be interpreted in milliseconds" and shows 30000: a duration
 * (an epoch in milliseconds would have 13 digits), so ExpirationMs is the token's lifetime from issue.
 */
export const DEFAULT_TOKEN_TTL_MS = 60 * 60_000;
export const MAX_TOKEN_TTL_MS = 24 * 60 * 60_000;

/**
 * Failed logins are counted per username and source address, and per username across addresses.
 * This many failures of one username from one address within the window lock that pair…
 */
export const MAX_FAILED_LOGINS_PER_ADDRESS = 5;
/**
 * …and this many of one username from any addresses lock the username everywhere: someone who only
 * knows a username cannot lock its owner out from a single address, while guessing from many
 * addresses still meets a ceiling.
 */
export const MAX_FAILED_LOGINS_PER_USERNAME = 50;
export const FAILED_LOGIN_WINDOW_MS = 15 * 60_000;
/** A lock lasts this long (429 with Retry-After), even for the right password. */
export const LOGIN_LOCKOUT_MS = 15 * 60_000;

/** 3PL errors that carry more than a message: line errors for the body, a wait for Retry-After. */
export class ThreeplError extends HubError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly details: { errors?: LineError[]; retryAfterSeconds?: number } = {},
  ) {
    super(status, code, message);
    // Field names and messages come from the 3PL's input: each is capped, and so is their number.
    if (details.errors) {
      this.details = {
        ...details,
        errors: details.errors.slice(0, MAX_LINE_ERRORS).map((x) => ({
          ...x,
          field: capReason(x.field, 256),
          message: capReason(x.message),
        })),
      };
    }
    this.name = 'ThreeplError';
  }
}

/** The most line errors one answer lists. */
export const MAX_LINE_ERRORS = 100;

export interface LineError {
  /** The index of the line in repLines (0-based), absent for errors about the whole body. */
  line?: number;
  field: string;
  message: string;
}

export const invalidCredentials = () =>
  new ThreeplError(
    401,
    'invalid_credentials',
    'No valid credentials were provided: send Authorization: Basic base64(username:password).',
  );
export const tooManyFailures = (retryAfterSeconds: number) =>
  new ThreeplError(
    429,
    'too_many_failures',
    `Too many failed logins for this username; retry after ${retryAfterSeconds} seconds.`,
    { retryAfterSeconds },
  );
export const noToken = () =>
  new ThreeplError(
    401,
    'no_token',
    'No valid token was provided: send Authorization: Bearer <AccessToken> (from GET /v1/generatetoken).',
  );
export const invalidToken = () =>
  new ThreeplError(403, 'invalid_token', 'The token is invalid or no longer valid; request a new one.');
export const invalidContentType = () =>
  new ThreeplError(
    499,
    'invalid_content_type',
    'Invalid content type: send Content-Type: application/json; charset=utf8 (or no Content-Type).',
  );

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * Reads `Authorization: Basic base64(username:password)` (RFC 7617, UTF-8). Anything else —
 * another scheme, characters outside base64, no colon, an empty username — is undefined, which the
 * caller answers exactly like a wrong password. `formEncoded`: OAuth 2 clients form-encode the id and
 * secret before base64 (RFC 6749 §2.3.1).
 */
export function parseBasicAuthorization(
  header: string | undefined,
  options: { formEncoded?: boolean } = {},
): BasicCredentials | undefined {
  const m = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!m?.[1] || m[1].replace(/=+$/, '').length % 4 === 1) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD: refuse it rather than compare a mangled password.
  if (decoded.includes('\uFFFD')) return undefined;
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  let username = decoded.slice(0, colon);
  let password = decoded.slice(colon + 1);
  if (options.formEncoded) {
    try {
      username = formDecode(username);
      password = formDecode(password);
    } catch {
      return undefined;
    }
  }
  return username ? { username, password } : undefined;
}

const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

/**
 * The token of `Authorization: Bearer <token>`, or of a bare `Authorization: <token>` (the seed's
 * Postman sample puts the token alone in the header). Another scheme (Basic …) is no token.
 */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const h = (header ?? '').trim();
  const bearer = /^Bearer +(\S+)$/i.exec(h);
  if (bearer) return bearer[1];
  return /^[A-Za-z0-9._~+/=-]+$/.test(h) && !/^(bearer|basic)$/i.test(h) ? h : undefined;
}

/**
 * Seed 002: every endpoint expects `application/json; charset=utf8`. JSON with any spelling of the
 * UTF-8 charset (utf8, UTF-8, "utf-8"), or no Content-Type at all, is accepted; anything else is 499.
 */
export function isAcceptedContentType(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  const [type = '', ...params] = header.split(';').map((p) => p.trim());
  if (type.toLowerCase() !== 'application/json') return false;
  for (const p of params) {
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) return false;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') return false;
  }
  return true;
}

/** An access token: 32 random bytes, opaque to the client, stored only as its SHA-256. */
export function newAccessToken(): string {
  return `cdt_${randomBytes(32).toString('base64url')}`;
}

export const tokenHash = (token: string) => sha256Hex(token);

/** What a valid token grants: the partner it was issued to, and under which credentials. */
export interface TokenRecord {
  partnerCode: string;
  username: string;
  /** Changes whenever the operator sets the credentials again, which ends every earlier token. */
  credentialId: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

/** Emulators never expire TTL items and DynamoDB deletes them late: the expiry is checked on every read. */
export const isTokenLive = (t: TokenRecord, now: number) => now < t.expiresAtMs;

// scrypt at Node's default cost (N=2^14, r=8, p=1: 16 MiB, tens of milliseconds), 16-byte salt.
const SCRYPT = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r }, (e, key) =>
      e ? reject(e) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$key` (base64): the parameters travel with the hash so they can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time comparison of the derived key; a malformed stored hash is simply no match. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const derived = await scryptAsync(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

let dummy: Promise<string> | undefined;
/**
 * A hash of a random password, made once per process: an unknown username is verified against it,
 * so it costs the same scrypt as a known one with a wrong password.
 */
export const dummyPasswordHash = (): Promise<string> =>
  (dummy ??= hashPassword(randomBytes(16).toString('hex')));

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  /** What an unknown username's password is verified against. */
  dummyHash(): Promise<string>;
}
export const scryptHasher: PasswordHasher = {
  hash: hashPassword,
  verify: verifyPassword,
  dummyHash: dummyPasswordHash,
};

/**
 * The address a login failure is counted under: an IPv4 address as it is (an IPv4-mapped IPv6 one as
 * its IPv4 form), an IPv6 address by its /64, since one host commonly holds a whole /64 and could
 * otherwise guess from as many addresses as it likes.
 */
export function lockoutAddressOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  const parts = v6.parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/** Failed logins of one counter (a username from one address, or a username), as the registry keeps them. */
export interface LoginFailures {
  count: number;
  windowEndsAtMs: number;
  lockedUntilMs?: number;
}

/** Both counters of a login attempt: its username from its source address, and its username. */
export interface LoginFailureCounters<T> {
  address: T;
  username: T;
}

/** Milliseconds until the attempt may be made, or 0 when neither of its counters is locked. */
export function lockedForMs(
  f: Partial<LoginFailureCounters<LoginFailures | undefined>>,
  now: number,
): number {
  const wait = (c: LoginFailures | undefined) =>
    c?.lockedUntilMs !== undefined && c.lockedUntilMs > now ? c.lockedUntilMs - now : 0;
  return Math.max(wait(f.address), wait(f.username));
}

/** Which counters a failure locks, from their counts after it (reached within the window). */
export const locksAt = (counts: LoginFailureCounters<number>): LoginFailureCounters<boolean> => ({
  address: counts.address >= MAX_FAILED_LOGINS_PER_ADDRESS,
  username: counts.username >= MAX_FAILED_LOGINS_PER_USERNAME,
});

const oauthError = (code: 'invalid_request' | 'unsupported_grant_type', message: string) =>
  new ThreeplError(400, code, message);

/**
 * Reads an RFC 6749 §4.4 client credentials request: a form body with `grant_type=client_credentials`
 * and the client authenticated by Basic (client_secret_basic, its parts form-encoded) or by
 * `client_id`/`client_secret` in the body (client_secret_post), not both. The credentials are those
 * of GET /v1/generatetoken. Undefined credentials are answered like wrong ones.
 */
export function parseClientCredentialsRequest(
  contentType: string | undefined,
  body: Buffer,
  authorization: string | undefined,
): BasicCredentials | undefined {
  if (!/^application\/x-www-form-urlencoded\s*(;.*)?$/i.test(contentType ?? '')) {
    throw oauthError(
      'invalid_request',
      'Send the request as application/x-www-form-urlencoded (RFC 6749 §4.4).',
    );
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const names = [...form.keys()];
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw oauthError('invalid_request', `The parameter ${repeated} appears more than once.`);
  const grant = form.get('grant_type');
  if (!grant) throw oauthError('invalid_request', 'grant_type is required.');
  if (grant !== 'client_credentials') {
    throw oauthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
  }
  const inBody = form.get('client_secret');
  if (authorization?.trim()) {
    if (inBody !== null) {
      throw oauthError(
        'invalid_request',
        'Authenticate the client one way: Basic or client_secret, not both.',
      );
    }
    return parseBasicAuthorization(authorization, { formEncoded: true });
  }
  const id = form.get('client_id');
  return id && inBody !== null ? { username: id, password: inBody } : undefined;
}
