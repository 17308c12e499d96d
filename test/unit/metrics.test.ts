import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HUB_METRICS, METRICS_NAMESPACE } from '../../functions/core/metrics.js';
import { flushMetrics, recordMetric, withMetrics } from '../../functions/observability.js';
import { recordOldestUndeliveredAge, STALLED_STATUSES } from '../../functions/usecases/stats.js';
import { captureEmf } from '../support/emf.js';

/**
 * The metrics module as a function's invocation uses it: values recorded anywhere during the
 * invocation go out as one EMF line when its wrapper ends, in namespace Crossdock with the single
 * dimension `stage`; an invocation that recorded nothing writes nothing.
 */
describe('hub metrics (EMF)', () => {
  let emf: ReturnType<typeof captureEmf>;
  beforeAll(() => {
    // Read when the first metric is recorded (observability.ts builds its Metrics lazily).
    process.env.STAGE = 'unit';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    emf = captureEmf();
  });
  afterAll(() => emf.stop());
  beforeEach(() => emf.clear());

  it('publishes one line per invocation, in namespace Crossdock with the dimension stage alone', async () => {
    const invoke = withMetrics(async (n: number) => {
      for (let i = 0; i < n; i++) recordMetric('DeliveriesDelivered');
      recordMetric('AttemptLatencyMs', 120);
      recordMetric('AttemptLatencyMs', 80);
      return n;
    });
    expect(await invoke(3)).toBe(3);
    expect(emf.lines).toHaveLength(1);
    const [line] = emf.lines;
    expect(line?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['stage']],
        Metrics: expect.arrayContaining([
          { Name: 'DeliveriesDelivered', Unit: 'Count' },
          { Name: 'AttemptLatencyMs', Unit: 'Milliseconds' },
        ]),
      },
    ]);
    expect(line?.stage).toBe('unit');
    expect(line).not.toHaveProperty('service');
    expect(emf.sum('DeliveriesDelivered')).toBe(3);
    expect(emf.values('AttemptLatencyMs')).toEqual([120, 80]);
  });

  it('publishes what a failed invocation recorded, and writes nothing when nothing was recorded', async () => {
    const failing = withMetrics(async () => {
      recordMetric('DeliveriesFailed');
      throw new Error('boom');
    });
    await expect(failing()).rejects.toThrow('boom');
    expect(emf.sum('DeliveriesFailed')).toBe(1);
    emf.clear();
    await withMetrics(async () => undefined)();
    flushMetrics();
    // Not even Powertools' "No application metrics to publish" warning.
    expect(emf.lines).toHaveLength(0);
  });

  it('gives every contract metric a unit', () => {
    expect(Object.keys(HUB_METRICS)).toEqual([
      'MessagesAccepted',
      'DeliveriesDelivered',
      'DeliveriesFailed',
      'AttemptLatencyMs',
      'DeliveryAgeMs',
      'PacketsConverted',
      'PacketsFailed',
      'OldestUndeliveredAgeMs',
    ]);
  });

  describe('OldestUndeliveredAgeMs', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const statsWith = (oldest: Record<string, string>) => {
      const read: string[] = [];
      return {
        read,
        stats: {
          oldestIn: async (status: string) => {
            read.push(status);
            return oldest[status];
          },
          hours: async () => [],
          openSince: async () => [],
        },
      };
    };

    it('is the age of the oldest retrying or held delivery, and reads neither queued nor finished ones', async () => {
      const { stats, read } = statsWith({
        retrying: '2026-12-01T11:30:00.000Z',
        held: '2026-12-01T09:00:00.000Z',
        queued: '2026-11-20T00:00:00.000Z',
      });
      const age = await withMetrics(() => recordOldestUndeliveredAge({ stats, clock: { now: () => now } }))();
      expect(age).toBe(3 * 3_600_000);
      expect(read.sort()).toEqual(['held', 'retrying']);
      expect([...STALLED_STATUSES].sort()).toEqual(['held', 'retrying']);
      expect(emf.values('OldestUndeliveredAgeMs')).toEqual([3 * 3_600_000]);
    });

    it('is 0 when nothing is retrying or held, so the alarm sees a value every minute', async () => {
      const { stats } = statsWith({});
      await withMetrics(() => recordOldestUndeliveredAge({ stats, clock: { now: () => now } }))();
      expect(emf.values('OldestUndeliveredAgeMs')).toEqual([0]);
    });
  });
});
