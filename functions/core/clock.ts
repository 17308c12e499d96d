import { randomBytes } from 'node:crypto';

/** Time and randomness are injected so schedules and leases can be tested without sleeping. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** A number in [0, 1), as Math.random: jitter and short waits, never secrets. */
export type Random = () => number;
export const systemRandom: Random = () => Math.random();

/** A short unguessable token (8 characters, base64url), e.g. a name for one holder of permits. */
export const randomToken = (): string => randomBytes(6).toString('base64url');

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A sortable, unguessable id: 10 characters of millisecond time then 16 of randomness
 * (Crockford base32, like a ULID), with a short prefix that says what it names.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (const b of bytes) rand += CROCKFORD[b % 32];
  return `${prefix}_${time}${rand}`;
}
