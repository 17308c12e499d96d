import { SingleBar } from 'cli-progress';
import type { Output } from './output.js';
import { sleep } from './parse.js';

/** What a hub job reports while it runs (the shape of GET /admin/jobs/{id}). */
export interface JobProgress {
  status: 'running' | 'done';
  matched: number;
  done: number;
  failed: number;
}

export interface WatchOptions {
  intervalMs?: number;
  signal?: AbortSignal;
  /** Where the bar goes: stderr, so stdout stays what the command answers. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Polls a job until it is done, with a progress bar on a terminal (none with --json or when stderr is
 * not a terminal). Answers the last report: done, or as far as it got when `signal` aborted.
 */
export async function watchJob<J extends JobProgress>(
  out: Output,
  poll: () => Promise<J>,
  { intervalMs = 500, signal, stream = process.stderr }: WatchOptions = {},
): Promise<J> {
  let job = await poll();
  const bar =
    !out.json && stream.isTTY
      ? new SingleBar({
          stream,
          format: '{bar} {value}/{total} deliveries ({failed} failed) {percentage}% {duration_formatted}',
          hideCursor: true,
        })
      : undefined;
  bar?.start(job.matched, job.done + job.failed, { failed: job.failed });
  while (job.status !== 'done' && !signal?.aborted) {
    await sleep(intervalMs, signal);
    job = await poll();
    bar?.setTotal(job.matched);
    bar?.update(job.done + job.failed, { failed: job.failed });
  }
  bar?.stop();
  return job;
}
