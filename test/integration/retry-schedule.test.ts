import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnablementRepository } from '../../functions/adapters/enablements.js';
import { MessageRepository } from '../../functions/adapters/messages.js';
import type { OutboundRequest, OutboundResult } from '../../functions/adapters/outbound-http.js';
import { PayloadStore } from '../../functions/adapters/payloads.js';
import { RegistryRepository } from '../../functions/adapters/registry.js';
import type { OperationalEvent } from '../../functions/core/events.js';
import { storeMessage } from '../../functions/usecases/accept-message.js';
import { markDeadLettered } from '../../functions/usecases/dead-letters.js';
import { type DeliverPorts, deliverOnce } from '../../functions/usecases/deliver.js';
import { type EmbeddedAws, startEmbeddedAws } from '../../lib/local/emulators.js';
import { messagesTable, payloadBucket, registryTable } from '../../lib/resources.js';
import { pushIntegration, smallOrder } from '../support/fixtures.js';

/**
 * The default schedule (0 h, 1 h, 7 h, 19 h) walked with an injected clock against real DynamoDB:
 * no sleeping, no queue; the worker's decisions are checked one by one.
 */
describe('retry schedule with an injected clock', () => {
  let aws: EmbeddedAws;
  let now = Date.parse('2026-11-23T02:00:00Z');
  const calls: OutboundRequest[] = [];
  let answer: OutboundResult = {
    kind: 'answered',
    status: 503,
    headers: {},
    body: '',
    truncated: false,
    durationMs: 3,
  };
  let ports: DeliverPorts & { messages: MessageRepository; payloads: PayloadStore };
  let registry: RegistryRepository;
  /** What the use cases told the operator. */
  const told: OperationalEvent[] = [];

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    Object.assign(process.env, aws.env);
    registry = new RegistryRepository(aws.env[registryTable.envVar] as string);
    const messages = new MessageRepository(aws.env[messagesTable.envVar] as string);
    ports = {
      integration: (id) => registry.getIntegration(id),
      enablements: new EnablementRepository(aws.env[registryTable.envVar] as string),
      messages,
      payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
      send: async (req) => {
        calls.push(req);
        return answer;
      },
      clock: { now: () => now },
      random: () => 0.5, // no jitter: the schedule exactly
      publicBaseUrl: 'http://hub.test',
      events: { emit: async (e) => void told.push(e) },
      health: { registry, held: messages },
    };
  });
  afterAll(() => aws?.stop());
  /** Jobs are driven by hand here, so nothing needs queueing. */
  const noQueue = { enqueue: async () => undefined } as unknown as Parameters<
    typeof storeMessage
  >[0]['queue'];

  it('makes four attempts at 0 h, 1 h, 7 h and 19 h, waits in between, then fails with the reason', async () => {
    const integration = pushIntegration({ id: 'int_sched', name: 'sched' });
    await registry.createIntegration(integration);
    await storeMessage({ ...ports, queue: noQueue }, smallOrder('msg_sched'), [integration]);
    const job = { messageId: 'msg_sched', integrationId: 'int_sched' };
    const start = now;
    const hours = (h: number) => start + h * 3_600_000;

    expect(await deliverOnce(ports, job)).toEqual({ kind: 'later', delaySeconds: 3600 });
    // Early wake-ups (a crash, a short visibility) make no attempt: they wait for the rest.
    now = hours(0.5);
    expect(await deliverOnce(ports, job)).toEqual({ kind: 'later', delaySeconds: 1800 });
    expect(calls).toHaveLength(1);
    now = hours(1);
    expect(await deliverOnce(ports, job)).toEqual({ kind: 'later', delaySeconds: 21_600 });
    now = hours(7);
    expect(await deliverOnce(ports, job)).toEqual({ kind: 'later', delaySeconds: 43_200 });
    now = hours(19);
    expect(await deliverOnce(ports, job)).toEqual({ kind: 'done' });
    expect(calls).toHaveLength(4);
    // Every attempt signs with the same webhook-id, so the receiver can de-duplicate.
    expect(new Set(calls.map((c) => c.headers['webhook-id'])).size).toBe(1);

    const record = await ports.messages.getRecord('msg_sched');
    const delivery = record?.deliveries[0];
    expect(delivery?.status).toBe('failed');
    expect(delivery?.attempts?.map((a) => (Date.parse(a.at) - start) / 3_600_000)).toEqual([0, 1, 7, 19]);
    expect(delivery?.lastError).toMatch(/attempt 4 of 4, the last/);
    now = hours(30);
    expect(await deliverOnce(ports, job)).toEqual({ kind: 'done' });
    expect(calls).toHaveLength(4);
    // The operator is told once, when the last attempt ends it, not by the later wake-up.
    expect(told.filter((e) => e.messageId === 'msg_sched')).toEqual([
      {
        type: 'delivery.exhausted',
        at: hours(19),
        integrationId: 'int_sched',
        messageId: 'msg_sched',
        partner: smallOrder('msg_sched').receiver,
        detail: delivery?.lastError,
      },
    ]);
  });

  it('writes a push delivery’s row only with its first claim, and lets only one claim create it', async () => {
    const integration = await registry.getIntegration('int_sched');
    await storeMessage(
      { ...ports, queue: noQueue },
      smallOrder('msg_lazy'),
      integration ? [integration] : [],
    );
    const before = await ports.messages.getRecord('msg_lazy');
    expect(before?.deliveries).toEqual([
      expect.objectContaining({
        integrationId: 'int_sched',
        mode: 'push',
        status: 'queued',
        attemptCount: 0,
      }),
    ]);
    const { delivery, stored } = await ports.messages.getForDelivery('msg_lazy', 'int_sched');
    expect(stored).toBe(false);
    const firstRow = { delivery: delivery as NonNullable<typeof delivery>, expiresAt: 2_000_000_000 };
    const claims = await Promise.all(
      [1, 2].map(() => ports.messages.claimAttempt('msg_lazy', 'int_sched', 1, firstRow)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect((await ports.messages.getForDelivery('msg_lazy', 'int_sched')).stored).toBe(true);
  });

  it('delivers on the attempt that succeeds and keeps the partner’s response', async () => {
    const integration = await registry.getIntegration('int_sched');
    await storeMessage(
      { ...ports, queue: noQueue },
      smallOrder('msg_later'),
      integration ? [integration] : [],
    );
    const job = { messageId: 'msg_later', integrationId: 'int_sched' };
    answer = {
      kind: 'answered',
      status: 429,
      headers: { 'retry-after': '5400' },
      body: '',
      truncated: false,
      durationMs: 2,
    };
    // Retry-After (1.5 h) lengthens the 1 h step, within twice the step.
    expect(await deliverOnce(ports, job)).toEqual({ kind: 'later', delaySeconds: 5400 });
    now += 5400 * 1000;
    answer = {
      kind: 'answered',
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: '{"ref":"W-7"}',
      truncated: false,
      durationMs: 2,
    };
    expect(await deliverOnce(ports, job)).toEqual({ kind: 'done' });
    const delivery = (await ports.messages.getRecord('msg_later'))?.deliveries[0];
    expect(delivery).toMatchObject({
      status: 'delivered',
      attemptCount: 2,
      response: { statusCode: 202, body: '{"ref":"W-7"}' },
    });
    expect(delivery?.nextAttemptAt).toBeUndefined();
  });

  it('marks a dead-lettered job’s delivery failed unless it finished: a delivered one is never overwritten', async () => {
    const integration = await registry.getIntegration('int_sched');
    await storeMessage({ ...ports, queue: noQueue }, smallOrder('msg_dlq'), integration ? [integration] : []);
    const job = { messageId: 'msg_dlq', integrationId: 'int_sched' };
    // Still waiting for its first attempt (no delivery row yet): marked, with the reason.
    expect(await markDeadLettered(ports, job, 26)).toBe(true);
    expect((await ports.messages.getRecord('msg_dlq'))?.deliveries[0]).toMatchObject({
      status: 'failed',
      deadLettered: true,
      lastError: expect.stringMatching(/dead-lettered after 26 receives/),
    });
    // A finished delivery is left alone, even when it is marked without reading first.
    expect(await markDeadLettered(ports, { messageId: 'msg_later', integrationId: 'int_sched' }, 26)).toBe(
      false,
    );
    expect(await ports.messages.failDeadLettered('msg_later', 'int_sched', 'late')).toBe(false);
    expect((await ports.messages.getRecord('msg_later'))?.deliveries[0]?.status).toBe('delivered');
    // Told once, for the one it marked; marking it again tells nothing.
    expect(await markDeadLettered(ports, job, 27)).toBe(false);
    expect(told.filter((e) => e.type === 'deadletter.marked')).toEqual([
      expect.objectContaining({
        messageId: 'msg_dlq',
        integrationId: 'int_sched',
        detail: expect.stringMatching(/dead-lettered after 26 receives/),
      }),
    ]);
  });
});
