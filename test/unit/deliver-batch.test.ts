import { afterAll, describe, expect, it } from 'vitest';
import { discardEvents } from '../../functions/core/events.js';
import type { Delivery } from '../../functions/core/message.js';
import { flushMetrics, withMetrics } from '../../functions/observability.js';
import {
  type DeliverBatchPorts,
  deliverBatch,
  type QueuedJob,
} from '../../functions/usecases/deliver-batch.js';
import { captureEmf } from '../support/emf.js';
import { noHealth, pushIntegration } from '../support/fixtures.js';

// The EMF lines are read by the test of a permit's wait (observability.ts reads this at its first metric).
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

const NOW = Date.parse('2026-11-23T02:00:00Z');

/**
 * The batch decisions with in-memory ports (the queue, permits and messages are fakes of the ports the
 * use case declares): grouping, permits, ordered handling, and requeue or postpone.
 */
function harness(options: { granted?: number; failPermits?: boolean } = {}) {
  const integrations = {
    int_par: pushIntegration({ id: 'int_par', name: 'par', batchSize: 2 }),
    int_other: pushIntegration({ id: 'int_other', name: 'other' }),
    int_ord: pushIntegration({ id: 'int_ord', name: 'ord', parallel: false }),
    int_now_par: pushIntegration({ id: 'int_now_par', name: 'now parallel', parallel: true }),
  } as const;
  /** A message id → what its delivery looks like: absent (done), waiting until `waitS`, or broken. */
  const waiting = new Map<string, number>();
  const broken = new Set<string>();
  const looked: string[] = [];
  const enqueued: unknown[] = [];
  const postponed: [string, number, boolean][] = [];
  const permits = { taken: [] as [string, string, number][], released: [] as [string, string, number][] };
  const ports: DeliverBatchPorts = {
    enablements: { forClient: async () => undefined },
    integration: async (id) => (integrations as Record<string, (typeof integrations)['int_par']>)[id],
    messages: {
      getForDelivery: async (messageId, integrationId) => {
        looked.push(messageId);
        if (broken.has(messageId)) throw new Error('DynamoDB is down');
        const wait = waiting.get(messageId);
        if (wait === undefined) return {};
        const delivery: Delivery = {
          messageId,
          integrationId,
          mode: 'push',
          status: 'retrying',
          attemptCount: 1,
          webhookId: `${messageId}.${integrationId}`,
          nextAttemptAt: new Date(NOW + wait * 1000).toISOString(),
        };
        return { delivery, stored: true };
      },
      restartDelivery: async () => false,
      claimAttempt: async () => false,
      recordAttempt: async () => {},
      failOpen: async () => true,
    },
    payloads: { get: async () => Buffer.from('') },
    send: async () => {
      throw new Error('no attempt is due in these tests');
    },
    permits: {
      acquire: async (integrationId, holder, wanted, cap) => {
        if (options.failPermits && integrationId === 'int_par') throw new Error('throttled');
        const n = Math.min(wanted, cap, options.granted ?? cap);
        permits.taken.push([integrationId, holder, n]);
        return n;
      },
      release: async (integrationId, holder, n) => {
        permits.released.push([integrationId, holder, n]);
      },
    },
    queue: {
      enqueue: async (jobs) => {
        enqueued.push(...jobs);
      },
      postpone: async (receiptHandle, seconds, ordered) => {
        postponed.push([receiptHandle, seconds, ordered]);
      },
    },
    clock: { now: () => NOW },
    random: () => 0.5,
    token: () => 'tok',
    publicBaseUrl: 'http://hub.test',
    events: discardEvents,
    health: noHealth,
  };
  const job = (integrationId: string, n: number, ordered = false, sentAt?: number): QueuedJob => ({
    id: `sqs-${integrationId}-${n}`,
    receiptHandle: `rh-${integrationId}-${n}`,
    job: { messageId: `msg_${integrationId}_${n}`, integrationId },
    ...(ordered ? { group: integrationId } : {}),
    ...(sentAt === undefined ? {} : { sentAt }),
  });
  return { ports, job, waiting, broken, looked, enqueued, postponed, permits };
}

describe('delivery batches', () => {
  it('shares one take of permits per integration; what found none waits as a fresh delayed copy', async () => {
    const h = harness();
    const jobs = [1, 2, 3].map((n) => h.job('int_par', n));
    expect(await deliverBatch(h.ports, [...jobs, h.job('int_other', 1)])).toEqual([]);
    expect(h.permits.taken).toEqual([
      ['int_par', 'tok0', 2],
      ['int_other', 'tok1', 1],
    ]);
    expect(h.permits.released).toEqual([
      ['int_par', 'tok0', 2],
      ['int_other', 'tok1', 1],
    ]);
    expect(h.looked.sort()).toEqual(['msg_int_other_1', 'msg_int_par_1', 'msg_int_par_2']);
    // The third job of int_par: requeued (no receive counted), its queue message deleted; without a
    // SentTimestamp its wait counts from now.
    expect(h.enqueued).toEqual([
      {
        messageId: 'msg_int_par_3',
        integrationId: 'int_par',
        ordered: false,
        delaySeconds: 2,
        waitingSince: NOW,
      },
    ]);
  });

  it('takes permits only for an integration whose batchSize the event source could exceed', async () => {
    const h = harness();
    // int_par's batchSize is 2 and int_other's the default 10: with 10 jobs in flight at most, only
    // int_par can be held back.
    h.ports.maxInFlight = () => 10;
    const jobs = [1, 2, 3].map((n) => h.job('int_par', n));
    expect(await deliverBatch(h.ports, [...jobs, h.job('int_other', 1), h.job('int_other', 2)])).toEqual([]);
    expect(h.permits.taken).toEqual([['int_par', 'tok0', 2]]);
    expect(h.permits.released).toEqual([['int_par', 'tok0', 2]]);
    // Both of int_other's jobs went to their attempt, none waits; int_par's third waits for a permit.
    expect(h.looked.sort()).toEqual(['msg_int_other_1', 'msg_int_other_2', 'msg_int_par_1', 'msg_int_par_2']);
    expect(h.enqueued).toEqual([expect.objectContaining({ messageId: 'msg_int_par_3' })]);
  });

  it('takes permits for every parallel integration while the bound is unknown', async () => {
    const h = harness();
    h.ports.maxInFlight = () => undefined;
    expect(await deliverBatch(h.ports, [h.job('int_other', 1)])).toEqual([]);
    expect(h.permits.taken).toEqual([['int_other', 'tok0', 1]]);
  });

  describe('a job waiting for a permit', () => {
    const emf = captureEmf();
    afterAll(() => emf.stop());

    it('keeps when it was first queued on its fresh copy, and shows its wait as OldestUndeliveredAgeMs', async () => {
      flushMetrics();
      emf.clear();
      const h = harness({ granted: 1 });
      const firstQueued = NOW - 20 * 60_000;
      const waited = h.job('int_par', 2, false, NOW - 60_000);
      waited.job.waitingSince = firstQueued;
      const batch = [
        h.job('int_par', 1, false, NOW - 5_000),
        waited,
        h.job('int_par', 3, false, NOW - 90_000),
      ];
      expect(await withMetrics(() => deliverBatch(h.ports, batch))()).toEqual([]);
      // The copy of one that waited before keeps its first time; one waiting for the first time, its SentTimestamp.
      expect(h.enqueued).toEqual([
        {
          messageId: 'msg_int_par_2',
          integrationId: 'int_par',
          ordered: false,
          delaySeconds: 2,
          waitingSince: firstQueued,
        },
        {
          messageId: 'msg_int_par_3',
          integrationId: 'int_par',
          ordered: false,
          delaySeconds: 2,
          waitingSince: NOW - 90_000,
        },
      ]);
      // The oldest waiting job's age: the one first queued 20 minutes ago.
      expect(emf.values('OldestUndeliveredAgeMs')).toEqual([20 * 60_000]);
    });

    it('records no age when every job got its permit', async () => {
      flushMetrics();
      emf.clear();
      const h = harness();
      await withMetrics(() => deliverBatch(h.ports, [h.job('int_par', 1, false, NOW - 5_000)]))();
      expect(emf.values('OldestUndeliveredAgeMs')).toEqual([]);
    });
  });

  it('hides a job whose retry is not due until then, and hands it back', async () => {
    const h = harness();
    h.waiting.set('msg_int_par_1', 600);
    expect(await deliverBatch(h.ports, [h.job('int_par', 1), h.job('int_par', 2)])).toEqual([
      'sqs-int_par-1',
    ]);
    expect(h.postponed).toEqual([['rh-int_par-1', 600, false]]);
  });

  it('hands back what throws, and all of an integration whose permits could not be taken', async () => {
    const h = harness({ failPermits: true });
    h.broken.add('msg_int_other_1');
    const handBack = await deliverBatch(h.ports, [
      h.job('int_par', 1),
      h.job('int_par', 2),
      h.job('int_other', 1),
      h.job('int_other', 2),
    ]);
    expect(handBack.sort()).toEqual(['sqs-int_other-1', 'sqs-int_par-1', 'sqs-int_par-2']);
    expect(h.looked.sort()).toEqual(['msg_int_other_1', 'msg_int_other_2']);
  });

  it('runs an ordered group in order and hands back the rest once one is not done', async () => {
    const h = harness();
    h.waiting.set('msg_int_ord_2', 60);
    const group = [1, 2, 3].map((n) => h.job('int_ord', n, true));
    expect(await deliverBatch(h.ports, group)).toEqual(['sqs-int_ord-2', 'sqs-int_ord-3']);
    expect(h.looked).toEqual(['msg_int_ord_1', 'msg_int_ord_2']);
    expect(h.postponed).toEqual([['rh-int_ord-2', 60, true]]);
    // Ordered jobs take no permits: their group holds one at a time.
    expect(h.permits.taken).toEqual([]);
  });

  it('starts no ordered job without the time for its longest call, and hands the group back', async () => {
    const h = harness();
    const group = [1, 2].map((n) => h.job('int_ord', n, true));
    expect(await deliverBatch(h.ports, group, NOW + 20_000)).toEqual(['sqs-int_ord-1', 'sqs-int_ord-2']);
    expect(h.looked).toEqual([]);
    expect(await deliverBatch(h.ports, group, NOW + 60_000)).toEqual([]);
  });

  it('moves an ordered group to the standard queue once its integration is parallel', async () => {
    const h = harness();
    const group = [1, 2].map((n) => h.job('int_now_par', n, true));
    expect(await deliverBatch(h.ports, group)).toEqual([]);
    expect(h.enqueued).toEqual(group.map((q) => ({ ...q.job, ordered: false })));
    expect(h.looked).toEqual([]);
  });
});
