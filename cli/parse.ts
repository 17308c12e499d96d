import { InvalidArgumentError } from 'commander';

/** Option parsers: a bad value is a usage error (exit 2) before anything is sent. */

export function wholeNumber(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new InvalidArgumentError(`give a whole number from ${min} to ${max}.`);
    }
    return Number(raw);
  };
}

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * An instant: ISO 8601 as the hub reads it (2026-12-01, 2026-12-01T08:00:00Z), or a time ago:
 * 90s, 15m, 2h, 7d. Answers the ISO string the hub takes.
 */
export function instant(raw: string, now = Date.now()): string {
  const ago = /^(\d+)([smhd])$/.exec(raw);
  if (ago) return new Date(now - Number(ago[1]) * (UNITS[ago[2] as string] as number)).toISOString();
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(raw) && !Number.isNaN(Date.parse(raw))) {
    return raw;
  }
  throw new InvalidArgumentError(
    'give an ISO 8601 time (2026-12-01T08:00:00Z) or a time ago (90s, 15m, 2h, 7d).',
  );
}

export const instantOption = (raw: string) => instant(raw);

/** A repeatable or comma-separated list option: --scope a --scope b, or --scope a,b. */
export function list(raw: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
