import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryJob } from '../../functions/adapters/delivery-queue.js';
import { EnablementRepository } from '../../functions/adapters/enablements.js';
import { MessageRepository } from '../../functions/adapters/messages.js';
import { postOutbound } from '../../functions/adapters/outbound-http.js';
import { PayloadStore } from '../../functions/adapters/payloads.js';
import { RegistryRepository } from '../../functions/adapters/registry.js';
import type { OperationalEvent } from '../../functions/core/events.js';
import type { StoredIntegration } from '../../functions/core/integration.js';
import { storeMessage } from '../../functions/usecases/accept-message.js';
import { type DeliverPorts, deliverOnce } from '../../functions/usecases/deliver.js';
import { enableIntegration, type ReleasePorts, releaseHeld } from '../../functions/usecases/health.js';
import { type EmbeddedAws, startEmbeddedAws } from '../../lib/local/emulators.js';
import { messagesTable, payloadBucket, registryTable } from '../../lib/resources.js';
import { pushIntegration } from '../support/fixtures.js';
import { type Responder, startPartner } from '../support/partner-server.js';

const HOUR = 3_600_000;

/**
 * Endpoint health (Contract v2, "Health and operational events") walked with an injected clock
 * against the embedded DynamoDB and a real partner server: the worker's decisions one by one, the
 * release's queue captured, so hours pass without sleeping.
 */
describe('endpoint health with an injected clock', () => {
  let aws: EmbeddedAws;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let registry: RegistryRepository;
  let messages: MessageRepository;
  let ports: DeliverPorts;
  let now = Date.parse('2026-11-30T08:00:00Z');
  const told: OperationalEvent[] = [];
  /** What the release queued, in order, and the release jobs it asked for. */
  const queued: (DeliveryJob & { ordered: boolean; releasedAt?: number })[] = [];
  const releaseJobs: string[] = [];
  const queue = {
    enqueue: async (jobs: (DeliveryJob & { ordered: boolean; releasedAt?: number })[]) =>
      void queued.push(...jobs),
    enqueueRelease: async (id: string) => void releaseJobs.push(id),
  };
  /** The partner fails every request while `down`; it answers 200 otherwise. */
  let down = true;
  const upOrDown: Responder = (_req, res) => {
    res.statusCode = down ? 503 : 200;
    res.end(down ? 'down' : 'ok');
  };
  /** storeMessage's port: the jobs it queues are run by hand here. */
  const storeQueue = queue as unknown as Parameters<typeof storeMessage>[0]['queue'];
  let n = 0;

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    Object.assign(process.env, aws.env);
    partner = await startPartner(upOrDown);
    registry = new RegistryRepository(aws.env[registryTable.envVar] as string);
    messages = new MessageRepository(aws.env[messagesTable.envVar] as string);
    ports = {
      integration: (id) => registry.getIntegration(id),
      enablements: new EnablementRepository(aws.env[registryTable.envVar] as string),
      messages,
      payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
      send: (req) => postOutbound(req, true),
      clock: { now: () => now },
      random: () => 0.5,
      publicBaseUrl: 'http://hub.test',
      events: { emit: async (e) => void told.push(e) },
      health: { registry, held: messages },
    };
  });
  afterAll(async () => {
    await partner?.stop();
    await aws?.stop();
  });

  const releasePorts = (): ReleasePorts => ({ registry, messages, queue, clock: { now: () => now } });

  async function integration(over: Partial<StoredIntegration>): Promise<StoredIntegration> {
    const i = pushIntegration({
      maxAttempts: 1,
      delivery: { mode: 'push', url: `${partner.url}?${over.id}`, format: 'raw' },
      ...over,
    });
    expect(await registry.createIntegration(i)).toBe(true);
    return i;
  }

  /** Stores a message for the integration (a second later than the last) and runs its job once. */
  async function send(i: StoredIntegration, id = `msg_${++n}`) {
    now += 1000;
    const stored = await registry.getIntegration(i.id);
    await storeMessage(
      {
        messages,
        payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
        queue: storeQueue,
        clock: ports.clock,
      },
      {
        id,
        sender: 'erp',
        receiver: 'wms',
        doctype: 'order',
        version: '',
        body: Buffer.from(`{"n":"${id}"}`),
        contentType: 'application/json',
      },
      stored ? [stored] : [],
    );
    queued.length = 0; // storeMessage's own job: the test runs it by hand
    const result = await deliverOnce(ports, { messageId: id, integrationId: i.id });
    return { id, result };
  }

  const delivery = async (messageId: string, integrationId: string) =>
    (await messages.getRecord(messageId))?.deliveries.find((d) => d.integrationId === integrationId);

  it('disables after 120 hours of failures with none delivered, holds what follows, and the enable sends it in arrival order', async () => {
    const i = await integration({ id: 'int_default', name: 'default window' });
    const start = now;
    down = true;
    await send(i);
    expect((await registry.getIntegration(i.id))?.failingSince).toBe(new Date(start + 1000).toISOString());
    for (const h of [24, 60, 119]) {
      now = start + h * HOUR;
      await send(i);
      expect((await registry.getIntegration(i.id))?.health).toBe('ok');
    }
    now = start + 120 * HOUR;
    const last = await send(i);
    expect((await delivery(last.id, i.id))?.status).toBe('failed');
    const disabled = await registry.getIntegration(i.id);
    expect(disabled).toMatchObject({
      health: 'disabled',
      active: true,
      disabledAt: new Date(now).toISOString(),
      failingSince: new Date(start + 1000).toISOString(),
      disabledReason: expect.stringMatching(/for 120 hours.*HTTP 503/),
    });
    expect(told.filter((e) => e.type === 'integration.disabled' && e.integrationId === i.id)).toEqual([
      {
        type: 'integration.disabled',
        at: now,
        integrationId: i.id,
        partner: 'wms',
        detail: disabled?.disabledReason,
      },
    ]);

    // Disabled: new messages are accepted, and their deliveries wait as held, no attempt made.
    const before = partner.received.length;
    const held = [];
    for (let k = 0; k < 3; k++) {
      const r = await send(i);
      expect(r.result).toEqual({ kind: 'done' });
      held.push(r.id);
    }
    expect(partner.received.length).toBe(before);
    for (const id of held) {
      expect(await delivery(id, i.id)).toMatchObject({ status: 'held', attemptCount: 0 });
      expect((await messages.getRecord(id))?.deliveries).toHaveLength(1);
    }
    // Stored with the health ports (as POST /v1/messages stores), a message is held at once, unqueued.
    now += 1000;
    const atOnce = await storeMessage(
      {
        messages,
        payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
        queue: storeQueue,
        clock: ports.clock,
        health: ports.health,
      },
      {
        id: 'msg_at_once',
        sender: 'erp',
        receiver: 'wms',
        doctype: 'order',
        version: '',
        body: Buffer.from('{"n":"msg_at_once"}'),
        contentType: 'application/json',
      },
      disabled ? [disabled] : [],
    );
    expect(queued).toEqual([]);
    expect(await delivery(atOnce.id, i.id)).toMatchObject({ status: 'held', attemptCount: 0 });
    held.push(atOnce.id);
    // A duplicate job of a held delivery changes nothing.
    expect(await deliverOnce(ports, { messageId: held[0] as string, integrationId: i.id })).toEqual({
      kind: 'done',
    });

    // Enable: health ok, the window forgotten, told; the held deliveries go out oldest first.
    down = false;
    const enabled = await enableIntegration(
      { registry, queue, events: ports.events, clock: ports.clock },
      i.id,
    );
    expect(enabled).toMatchObject({ id: i.id, health: 'ok', active: true });
    expect(enabled).not.toHaveProperty('disabledAt');
    expect(enabled).not.toHaveProperty('disabledReason');
    expect(enabled).not.toHaveProperty('failingSince');
    expect(releaseJobs).toEqual([i.id]);
    expect(told.filter((e) => e.type === 'integration.enabled')).toEqual([
      expect.objectContaining({ integrationId: i.id, detail: expect.stringMatching(/for 120 hours/) }),
    ]);
    expect(await releaseHeld(releasePorts(), i.id)).toEqual({ released: 4, more: false });
    expect(queued.map((j) => j.messageId)).toEqual(held);
    for (const job of queued.splice(0)) expect(await deliverOnce(ports, job)).toEqual({ kind: 'done' });
    expect(partner.received.slice(before).map((r) => JSON.parse(r.body.toString()).n)).toEqual(held);
    for (const id of held) {
      // Held used no attempt: each went out on its first.
      expect(await delivery(id, i.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
    }
    // The held list is empty: enabling again is a no-op (told nothing, releases nothing).
    await enableIntegration({ registry, queue, events: ports.events, clock: ports.clock }, i.id);
    expect(told.filter((e) => e.type === 'integration.enabled')).toHaveLength(1);
    expect(await releaseHeld(releasePorts(), i.id)).toEqual({ released: 0, more: false });
  });

  it('starts the window again after a delivered end', async () => {
    const i = await integration({ id: 'int_reset', name: 'reset window' });
    const start = now;
    down = true;
    await send(i);
    now = start + 100 * HOUR;
    down = false;
    await send(i);
    expect((await registry.getIntegration(i.id))?.failingSince).toBeUndefined();
    down = true;
    now = start + 101 * HOUR;
    await send(i);
    now = start + 200 * HOUR;
    await send(i);
    // 120 hours from the first delivery of the window, not from the first failure ever.
    expect((await registry.getIntegration(i.id))?.health).toBe('ok');
    now = start + 221 * HOUR;
    await send(i);
    expect((await registry.getIntegration(i.id))?.health).toBe('disabled');
  });

  it('with 0 disables at the first failed end, and holds a retrying delivery at its next attempt without using one', async () => {
    const i = await integration({
      id: 'int_zero',
      name: 'zero',
      autoDisableAfterHours: 0,
      maxAttempts: 3,
      delivery: { mode: 'push', url: `${partner.url}?zero`, format: 'raw', retrySchedule: [60, 60] },
    });
    down = true;
    const retrying = await send(i);
    expect(retrying.result).toEqual({ kind: 'later', delaySeconds: 60 });
    // A retry is not an end: still ok.
    expect((await registry.getIntegration(i.id))?.health).toBe('ok');
    const byNow = partner.received.length;
    // Another message fails without retry (400): the first failed end disables.
    partner.respondWith((_r, res) => {
      res.statusCode = 400;
      res.end('no');
    });
    const failed = await send(i);
    expect((await delivery(failed.id, i.id))?.status).toBe('failed');
    expect(await registry.getIntegration(i.id)).toMatchObject({
      health: 'disabled',
      disabledReason: expect.stringMatching(/autoDisableAfterHours is 0.*HTTP 400/),
    });
    // The retrying one comes up: held, not attempted; its one attempt stays its only one.
    now += 60_000;
    expect(await deliverOnce(ports, { messageId: retrying.id, integrationId: i.id })).toEqual({
      kind: 'done',
    });
    expect(partner.received.length).toBe(byNow + 1);
    const held = await delivery(retrying.id, i.id);
    expect(held).toMatchObject({ status: 'held', attemptCount: 1 });
    expect(held?.nextAttemptAt).toBeUndefined();
    expect((await messages.getRecord(retrying.id))?.message).toBeDefined();

    partner.respondWith(upOrDown);
    down = false;
    await enableIntegration({ registry, queue, events: ports.events, clock: ports.clock }, i.id);
    // A release that dies after releasing, before queuing (and before it can hold them again): the
    // delivery is queued with no job, its held entry still listed.
    const dying: ReleasePorts = {
      ...releasePorts(),
      queue: {
        ...queue,
        enqueue: async () => {
          throw new Error('process killed');
        },
      },
      messages: Object.assign(Object.create(messages), {
        holdAgain: async () => {
          throw new Error('process killed');
        },
      }),
    };
    await expect(releaseHeld(dying, i.id)).rejects.toThrow();
    expect((await delivery(retrying.id, i.id))?.status).toBe('queued');
    // The next release finds it released but listed, and queues it.
    expect(await releaseHeld(releasePorts(), i.id)).toEqual({ released: 1, more: false });
    for (const job of queued.splice(0)) expect(await deliverOnce(ports, job)).toEqual({ kind: 'done' });
    // Attempt 2 of 3: being held used none.
    expect(await delivery(retrying.id, i.id)).toMatchObject({
      status: 'delivered',
      attemptCount: 2,
      attempts: [
        expect.objectContaining({ n: 1, statusCode: 503 }),
        expect.objectContaining({ n: 2, statusCode: 200 }),
      ],
    });
  });

  it('with null never disables, and keeps no window', async () => {
    const i = await integration({ id: 'int_never', name: 'never', autoDisableAfterHours: null });
    const start = now;
    down = true;
    for (const h of [0, 200, 700, 1000]) {
      now = start + h * HOUR;
      await send(i);
    }
    const after = await registry.getIntegration(i.id);
    expect(after?.health).toBe('ok');
    expect(after?.failingSince).toBeUndefined();
  });

  it('releases thousands of held deliveries in bounded slices, oldest first, each slice asking for the next', async () => {
    const i = await integration({ id: 'int_many', name: 'many', autoDisableAfterHours: 0, parallel: false });
    down = true;
    await send(i);
    expect((await registry.getIntegration(i.id))?.health).toBe('disabled');
    const stored = await registry.getIntegration(i.id);
    const ids = Array.from({ length: 1200 }, (_, k) => `msg_many_${String(k).padStart(5, '0')}`);
    // Stored and held 25 at a time, each message 10 ms after the one before.
    const t0 = now;
    for (let k = 0; k < ids.length; k += 25) {
      await Promise.all(
        ids.slice(k, k + 25).map(async (id, j) => {
          const at = t0 + (k + j) * 10;
          const m = await storeMessage(
            {
              messages,
              payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
              queue: storeQueue,
              clock: { now: () => at },
            },
            {
              id,
              sender: 'erp',
              receiver: 'wms',
              doctype: 'order',
              version: '',
              body: Buffer.from('{}'),
              contentType: 'application/json',
            },
            stored ? [stored] : [],
          );
          const { delivery: d } = await messages.getForDelivery(id, i.id);
          const firstRow = d ? { delivery: d, expiresAt: m.expiresAt, receivedAt: m.receivedAt } : undefined;
          expect(await messages.holdDelivery(m, i.id, firstRow)).toBe(true);
        }),
      );
    }
    now = t0 + ids.length * 10;
    queued.length = 0;
    releaseJobs.length = 0;
    await enableIntegration({ registry, queue, events: ports.events, clock: ports.clock }, i.id);
    expect(releaseJobs).toEqual([i.id]);
    const slices = [];
    while (releaseJobs.length > 0) {
      releaseJobs.shift();
      slices.push(await releaseHeld(releasePorts(), i.id));
    }
    expect(slices).toEqual([
      { released: 500, more: true },
      { released: 500, more: true },
      { released: 200, more: false },
    ]);
    expect(queued.map((j) => j.messageId)).toEqual(ids);
    // Ordered: into the integration's FIFO group, each with a deduplication id of its own.
    expect(queued.every((j) => j.ordered && j.releasedAt !== undefined)).toBe(true);
    expect(await delivery(ids[0] as string, i.id)).toMatchObject({ status: 'queued', attemptCount: 0 });
  }, 120_000);
});
