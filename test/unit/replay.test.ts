import { describe, expect, it } from 'vitest';
import type { FailedDeliveryRef, IndexPosition } from '../../functions/adapters/failed-deliveries.js';
import type { StoredJob } from '../../functions/adapters/jobs.js';
import type { StoredIntegration } from '../../functions/core/integration.js';
import type { Delivery } from '../../functions/core/message.js';
import { REPLAY_LEASE_MS, REPLAY_PER_TICK, REPLAY_SLICE } from '../../functions/core/replay.js';
import { workReplayJobs } from '../../functions/usecases/replay.js';

/** The replay worker over in-memory ports: slices, the per-tick cap, the lease, and what is counted. */

function world(failed: FailedDeliveryRef[]) {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const clock = { now: () => now };
  const job: StoredJob & { leaseUntil?: number } = {
    id: 'job_1',
    kind: 'messages.retry',
    status: 'running',
    filter: { since: '2026-12-01T00:00:00.000Z', until: '2026-12-01T10:00:00.000Z' },
    matched: failed.length,
    done: 0,
    failed: 0,
    startedAt: '2026-12-01T10:00:00.000Z',
  };
  const restarted = new Set<string>();
  const queued: { messageId: string; integrationId: string; ordered: boolean; round?: number }[] = [];
  const pages: number[] = [];
  const ports = {
    clock,
    jobs: {
      running: async () => (job.status === 'running' ? [job.id] : []),
      lease: async (_id: string, at: number, until: number) => {
        if (job.status !== 'running' || (job.leaseUntil ?? 0) >= at) return false;
        job.leaseUntil = until;
        return true;
      },
      get: async () => ({ ...job }),
      advance: async (
        _id: string,
        slice: { done: number; failed: number },
        position: IndexPosition | undefined,
        at: string,
        lease: number,
      ) => {
        if (job.leaseUntil !== lease) return false;
        job.done += slice.done;
        job.failed += slice.failed;
        if (position) job.position = position;
        else {
          delete job.position;
          job.status = 'done';
          job.finishedAt = at;
          delete job.leaseUntil;
        }
        return true;
      },
      release: async (_id: string, lease: number) => {
        if (job.leaseUntil === lease) delete job.leaseUntil;
      },
    },
    failed: {
      page: async (_f: unknown, after: IndexPosition | undefined, limit: number) => {
        const from = after ? Number(after.i) : 0;
        pages.push(limit);
        const items = failed.slice(from, from + limit);
        const next = from + limit < failed.length ? { i: String(from + limit) } : undefined;
        return { items, ...(next ? { next } : {}) };
      },
    },
    messages: {
      getRecord: async () => undefined,
      // The conditional failed → queued: true once per delivery, and never for one already restarted.
      restartDelivery: async (messageId: string, integrationId: string) => {
        const k = `${messageId}/${integrationId}`;
        if (restarted.has(k) || messageId.startsWith('delivered')) return false;
        restarted.add(k);
        return true;
      },
      updateDelivery: async () => undefined,
      // A delivery restarted here is queued in round 2 (the refs are round 1), with no attempt yet.
      getForDelivery: async (messageId: string, integrationId: string) =>
        restarted.has(`${messageId}/${integrationId}`)
          ? { delivery: { status: 'queued', round: 2, attemptCount: 0 } as Delivery }
          : {},
    },
    registry: {
      getIntegration: async (id: string) =>
        id === 'gone' ? undefined : ({ id, parallel: id !== 'ordered' } as StoredIntegration),
    },
    queue: { enqueue: async (jobs: typeof queued) => void queued.push(...jobs) },
  };
  return { ports, job, queued, pages, advance: (ms: number) => (now += ms) };
}

const refs = (n: number, integrationId = 'int_a'): FailedDeliveryRef[] =>
  Array.from({ length: n }, (_, i) => ({ messageId: `msg_${i}`, integrationId, round: 1 }));

describe('workReplayJobs', () => {
  it('restarts at most REPLAY_PER_TICK a tick in slices of REPLAY_SLICE, and finishes on a later tick', async () => {
    const total = REPLAY_PER_TICK + 250;
    const w = world(refs(total));
    expect(await workReplayJobs(w.ports)).toBe(REPLAY_PER_TICK);
    expect(w.pages.every((l) => l === REPLAY_SLICE)).toBe(true);
    expect(w.job).toMatchObject({ status: 'running', done: REPLAY_PER_TICK, failed: 0 });
    expect(w.job.position).toEqual({ i: String(REPLAY_PER_TICK) });
    expect(await workReplayJobs(w.ports)).toBe(250);
    expect(w.job).toMatchObject({ status: 'done', done: total, failed: 0, finishedAt: expect.any(String) });
    // Each queued once, in a new round.
    expect(new Set(w.queued.map((q) => q.messageId)).size).toBe(total);
    expect(w.queued.every((q) => q.round === 2)).toBe(true);
    expect(await workReplayJobs(w.ports)).toBe(0);
  });

  it('counts as failed what cannot be restarted: a deleted integration, a delivery no longer failed', async () => {
    const w = world([
      ...refs(3),
      { messageId: 'msg_x', integrationId: 'gone' },
      { messageId: 'delivered_1', integrationId: 'int_a' },
      ...refs(2, 'ordered'),
    ]);
    await workReplayJobs(w.ports);
    expect(w.job).toMatchObject({ status: 'done', done: 5, failed: 2 });
    expect(w.queued.filter((q) => q.ordered).map((q) => q.integrationId)).toEqual(['ordered', 'ordered']);
  });

  it('leaves a job another tick holds, until its lease runs out', async () => {
    const w = world(refs(5));
    w.job.leaseUntil = w.ports.clock.now() + REPLAY_LEASE_MS;
    expect(await workReplayJobs(w.ports)).toBe(0);
    expect(w.job).toMatchObject({ status: 'running', done: 0 });
    w.advance(REPLAY_LEASE_MS + 1);
    expect(await workReplayJobs(w.ports)).toBe(5);
    expect(w.job.status).toBe('done');
  });

  it('stops working a job whose lease ran out mid-way, so two ticks never both work it past one slice', async () => {
    const total = REPLAY_SLICE * 4;
    const w = world(refs(total));
    const page = w.ports.failed.page;
    let calls = 0;
    const slow = {
      ...w.ports,
      failed: {
        page: async (...args: Parameters<typeof page>) => {
          // Before its second slice this tick stalls past its lease, and the next tick takes the job.
          if (++calls === 2) {
            w.advance(REPLAY_LEASE_MS + 1);
            w.job.leaseUntil = w.ports.clock.now() + REPLAY_LEASE_MS;
          }
          return page(...args);
        },
      },
    };
    await workReplayJobs(slow);
    // It wrote its first slice, restarted the second, and could not write it: it stopped there.
    expect(w.job.done).toBe(REPLAY_SLICE);
    expect(calls).toBe(2);
    // The tick that holds the job now finishes it: every delivery restarted once, and at most the one
    // slice in flight when the lease was lost is counted as not restartable.
    w.advance(REPLAY_LEASE_MS + 1);
    await workReplayJobs(w.ports);
    expect(w.job.status).toBe('done');
    expect(new Set(w.queued.map((q) => q.messageId)).size).toBe(total);
    // The slice in flight is queued again by the tick that took over (it cannot know the first one
    // queued it): a second job is harmless, since the delivery's claims are conditional.
    expect(w.queued.length).toBeLessThanOrEqual(total + REPLAY_SLICE);
    expect(w.job.done + w.job.failed).toBe(total);
    expect(w.job.failed).toBeLessThanOrEqual(REPLAY_SLICE);
  });

  it('queues a delivery that a run restarted and died before queuing, without counting it again', async () => {
    const w = world(refs(3));
    // A run restarted msg_0 and died before its enqueue: queued in round 2, no job anywhere.
    await w.ports.messages.restartDelivery('msg_0', 'int_a');
    await workReplayJobs(w.ports);
    expect(w.job).toMatchObject({ status: 'done', done: 2, failed: 1 });
    expect(w.queued.map((q) => q.messageId).sort()).toEqual(['msg_0', 'msg_1', 'msg_2']);
  });

  it('leaves the job where it was when the queue cannot take a slice, its deliveries failed again', async () => {
    const w = world(refs(3));
    const putBack: string[] = [];
    const ports = {
      ...w.ports,
      queue: {
        enqueue: async () => {
          throw new Error('queue unavailable');
        },
      },
      messages: {
        ...w.ports.messages,
        updateDelivery: async (messageId: string) => void putBack.push(messageId),
      },
    };
    await expect(workReplayJobs(ports)).rejects.toThrow('queue unavailable');
    expect(w.job).toMatchObject({ status: 'running', done: 0, failed: 0 });
    expect(w.job.position).toBeUndefined();
    expect(putBack).toEqual(['msg_0', 'msg_1', 'msg_2']);
  });
});
