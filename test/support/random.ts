import { createHash } from 'node:crypto';

/** A seeded generator (an LCG), so a failing run can be repeated with the same seed. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/**
 * A number in [0, 1) fixed by its inputs: a partner's decision for the n-th request with one
 * webhook-id is the same in every run with that seed, whatever order concurrent requests arrive in.
 */
export function roll(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}
