import { sleep } from './parse.js';

/** Reading a paged log: every page, and following it for what arrives. */

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Every item from the first page on, following nextCursor. */
export async function allPages<T>(page: (cursor?: string) => Promise<Page<T>>, from?: string): Promise<T[]> {
  const items: T[] = [];
  let cursor = from;
  do {
    const p = await page(cursor);
    items.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor);
  return items;
}

export interface FollowOptions<T> {
  /** Every item at or after `since` (all pages), newest first as the hub lists them. */
  since(since: string | undefined): Promise<T[]>;
  /** The newest items there are (one page), newest first. */
  latest(): Promise<T[]>;
  id(item: T): string;
  at(item: T): string;
  /** Called once per new item, oldest first. */
  print(item: T): void;
  intervalMs: number;
  signal: AbortSignal;
  /** Start from this instant; by default from the newest item already there (which is not printed). */
  from?: string;
}

/**
 * Polls the log until `signal` aborts, printing each item once. The watermark is the newest `at` the
 * hub itself wrote (never this machine's clock), read again with a few seconds' overlap, since an
 * item may become visible a little after a newer one; what was printed is remembered over that overlap.
 */
export async function follow<T>(o: FollowOptions<T>): Promise<void> {
  const OVERLAP_MS = 5_000;
  const seen = new Map<string, string>();
  let watermark = o.from;
  if (!watermark) {
    const existing = await o.latest();
    for (const item of existing) seen.set(o.id(item), o.at(item));
    watermark = existing[0] ? o.at(existing[0]) : undefined;
  }
  while (!o.signal.aborted) {
    const since = watermark ? new Date(Date.parse(watermark) - OVERLAP_MS).toISOString() : undefined;
    const fresh = (await o.since(since))
      .filter((item) => !seen.has(o.id(item)) && (!o.from || o.at(item) >= o.from))
      .reverse();
    for (const item of fresh) {
      seen.set(o.id(item), o.at(item));
      if (!watermark || o.at(item) > watermark) watermark = o.at(item);
      o.print(item);
    }
    if (watermark) {
      const keepFrom = new Date(Date.parse(watermark) - 2 * OVERLAP_MS).toISOString();
      for (const [id, at] of seen) if (at < keepFrom) seen.delete(id);
    }
    await sleep(o.intervalMs, o.signal);
  }
}

/** An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts: the tail commands then end with exit 0. */
export function untilInterrupted(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
  return controller.signal;
}
