import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createOutput } from '../../cli/output.js';
import { type JobProgress, watchJob } from '../../cli/progress.js';

/** A job that advances by one report per poll. */
function job(reports: JobProgress[]) {
  let i = 0;
  return async () => reports[Math.min(i++, reports.length - 1)] as JobProgress;
}

const REPORTS: JobProgress[] = [
  { status: 'running', matched: 4, done: 0, failed: 0 },
  { status: 'running', matched: 4, done: 2, failed: 1 },
  { status: 'done', matched: 4, done: 3, failed: 1 },
];

describe('watchJob (the progress of a hub job)', () => {
  it('polls until the job is done and answers its last report', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    const last = await watchJob(createOutput(true, new PassThrough() as never), job(REPORTS), {
      intervalMs: 1,
      stream,
    });
    expect(last).toEqual(REPORTS[2]);
    expect(stream.read()).toBeNull();
  });

  it('draws a bar on a terminal', async () => {
    const stream = Object.assign(new PassThrough(), {
      isTTY: true,
      columns: 100,
      cursorTo() {},
      clearLine() {},
    });
    let text = '';
    stream.on('data', (c: Buffer) => {
      text += c.toString();
    });
    await watchJob(createOutput(false, new PassThrough() as never), job(REPORTS), { intervalMs: 1, stream });
    expect(text).toContain('4/4 deliveries (1 failed) 100%');
  });

  it('stops when it is interrupted', async () => {
    const controller = new AbortController();
    const poll = job([{ status: 'running', matched: 9, done: 1, failed: 0 }]);
    const watching = watchJob(createOutput(true, new PassThrough() as never), poll, {
      intervalMs: 10_000,
      signal: controller.signal,
      stream: Object.assign(new PassThrough(), { isTTY: false }),
    });
    controller.abort();
    expect((await watching).status).toBe('running');
  });
});
