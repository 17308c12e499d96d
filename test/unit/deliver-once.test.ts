import { describe, expect, it } from 'vitest';
import type { OperationalEvent } from '../../functions/core/events.js';
import type { Delivery } from '../../functions/core/message.js';
import { type DeliverPorts, deliverOnce, HELD_REQUEUE_SECONDS } from '../../functions/usecases/deliver.js';
import { noHealth, pushIntegration } from '../support/fixtures.js';

const NOW = Date.parse('2026-12-02T10:07:00Z');

/** deliverOnce's decisions before any attempt, with fakes of the ports it declares. */
function harness(delivery: Partial<Delivery>, options: { parallel?: boolean; closes?: boolean } = {}) {
  const events: OperationalEvent[] = [];
  const integration = pushIntegration({ id: 'int_a', name: 'a', parallel: options.parallel ?? true });
  const ports: DeliverPorts = {
    integration: async () => integration,
    enablements: { forClient: async () => undefined },
    messages: {
      getForDelivery: async () => ({
        delivery: {
          messageId: 'msg_1',
          integrationId: 'int_a',
          mode: 'push',
          status: 'queued',
          attemptCount: 0,
          webhookId: 'w',
          ...delivery,
        },
        stored: true,
      }),
      restartDelivery: async () => false,
      claimAttempt: async () => false,
      recordAttempt: async () => {},
      failOpen: async () => options.closes ?? true,
    },
    payloads: { get: async () => new Uint8Array() },
    send: async () => ({ kind: 'failed', reason: 'network', message: 'unused', durationMs: 0 }),
    clock: { now: () => NOW },
    random: () => 0.5,
    publicBaseUrl: 'http://hub',
    events: { emit: async (e) => void events.push(e) },
    health: noHealth,
  };
  return { ports, events };
}

describe('deliverOnce before an attempt', () => {
  const job = { messageId: 'msg_1', integrationId: 'int_a' };

  it('replaces a job held for hours by a fresh one every 15 minutes, on a standard queue only', async () => {
    const hold = { nextAttemptAt: new Date(NOW + 6 * 3600_000).toISOString() };
    expect(await deliverOnce(harness(hold).ports, job)).toEqual({
      kind: 'requeue',
      delaySeconds: HELD_REQUEUE_SECONDS,
    });
    // FIFO: a fresh copy would be a duplicate, so the job waits as a retry does.
    expect(await deliverOnce(harness(hold, { parallel: false }).ports, job)).toEqual({
      kind: 'later',
      delaySeconds: 6 * 3600,
    });
    // A retry's wait is not a hold: it stays on its message.
    expect(await deliverOnce(harness({ ...hold, attemptCount: 1, status: 'retrying' }).ports, job)).toEqual({
      kind: 'later',
      delaySeconds: 6 * 3600,
    });
  });

  it('tells of a delivery it closes only when this call closed it (a duplicate job tells nothing)', async () => {
    // The harness's delivery has no message (it expired): the delivery closes without an attempt.
    const gone = (closes: boolean) => harness({}, { closes });
    const first = gone(true);
    expect(await deliverOnce(first.ports, job)).toEqual({ kind: 'done' });
    expect(first.events.map((e) => e.type)).toEqual(['delivery.exhausted']);
    const duplicate = gone(false);
    expect(await deliverOnce(duplicate.ports, job)).toEqual({ kind: 'done' });
    expect(duplicate.events).toEqual([]);
  });

  describe('an integration disabled by endpoint health', () => {
    const message = {
      id: 'msg_1',
      sender: 'erp',
      receiver: 'wms',
      doctype: 'order',
      version: '',
      size: 2,
      sha256: '',
      contentType: 'application/json',
      receivedAt: new Date(NOW).toISOString(),
      expiresAt: 2_000_000_000,
    };
    /** A retrying delivery of a disabled integration; `enabledSince` says what the re-read finds. */
    function disabled(enabledSince: boolean) {
      const calls: string[] = [];
      const { ports } = harness({});
      const integration = pushIntegration({ id: 'int_a', name: 'a', health: 'disabled' });
      const delivery = {
        messageId: 'msg_1',
        integrationId: 'int_a',
        mode: 'push',
        status: 'retrying',
        attemptCount: 1,
        webhookId: 'w',
      } as const;
      const p: DeliverPorts = {
        ...ports,
        integration: async () => integration,
        messages: {
          ...ports.messages,
          getForDelivery: async () => ({ message, delivery, stored: true }),
          claimAttempt: async () => {
            calls.push('claim');
            return true;
          },
        },
        send: async () => {
          calls.push('send');
          return { kind: 'failed', reason: 'network', message: 'unused', durationMs: 0 };
        },
        health: {
          ...noHealth,
          registry: {
            ...noHealth.registry,
            getIntegration: async (_id, consistent) => {
              calls.push(`read${consistent ? ' consistent' : ''}`);
              return enabledSince ? { ...integration, health: 'ok' } : integration;
            },
          },
          held: {
            holdDelivery: async (m, id, firstRow) => {
              calls.push(`hold ${m.id} ${id} ${firstRow ? 'new row' : 'row'}`);
              return true;
            },
            releaseDelivery: async () => {
              calls.push('release');
              return true;
            },
            dropHeldEntries: async (_id, entries) => void calls.push(`drop ${entries.map((e) => e.sort)}`),
          },
        },
      };
      return { ports: p, calls };
    }

    it('holds the delivery before its attempt: nothing claimed or sent, the job done', async () => {
      const { ports, calls } = disabled(false);
      expect(await deliverOnce(ports, job)).toEqual({ kind: 'done' });
      expect(calls).toEqual(['hold msg_1 int_a row', 'read consistent']);
    });

    it('releases it again when the integration was enabled after the cached read, and looks again shortly', async () => {
      const { ports, calls } = disabled(true);
      expect(await deliverOnce(ports, job)).toEqual({ kind: 'later', delaySeconds: 2 });
      expect(calls).toEqual([
        'hold msg_1 int_a row',
        'read consistent',
        'release',
        `drop ${message.receivedAt}#msg_1`,
      ]);
    });
  });
});
