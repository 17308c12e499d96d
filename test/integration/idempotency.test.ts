import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnablementRepository } from '../../functions/adapters/enablements.js';
import { MessageRepository } from '../../functions/adapters/messages.js';
import { PayloadStore } from '../../functions/adapters/payloads.js';
import { RegistryRepository } from '../../functions/adapters/registry.js';
import { sha256Hex } from '../../functions/core/secrets.js';
import {
  type AcceptPorts,
  acceptMessage,
  IDEMPOTENCY_TAKEOVER_MS,
} from '../../functions/usecases/accept-message.js';
import { type EmbeddedAws, startEmbeddedAws } from '../../lib/local/emulators.js';
import { messagesTable, payloadBucket, registryTable } from '../../lib/resources.js';
import { pushIntegration } from '../support/fixtures.js';

/** An Idempotency-Key whose first request died before storing its message (clock injected). */
describe('Idempotency-Key left behind by a crashed request', () => {
  let aws: EmbeddedAws;
  let ports: AcceptPorts;
  let now = Date.parse('2026-11-23T10:00:00Z');
  const enqueued: unknown[] = [];
  const key = { partnerCode: 'erp', keyId: 'key_1', scopes: ['messages' as const] };

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    Object.assign(process.env, aws.env);
    const registry = new RegistryRepository(aws.env[registryTable.envVar] as string);
    for (const code of ['erp', 'wms', 'dc1', 'dc2']) {
      await registry.createPartner({ code, name: code, createdAt: '' }, now);
    }
    await registry.createIntegration(pushIntegration());
    // Any doctype and version to dc1 and dc2, so only the Idempotency-Key decides what is answered.
    for (const receiver of ['dc1', 'dc2']) {
      await registry.createIntegration(
        pushIntegration({ id: `int_${receiver}`, name: `any-${receiver}`, entity: '*', receiver }),
      );
    }
    await registry.createIntegration(
      pushIntegration({
        id: 'int_dc2_pull',
        name: 'pull-dc2',
        entity: '*',
        receiver: 'dc2',
        delivery: { mode: 'pull', format: 'raw' },
      }),
    );
    ports = {
      registry,
      enablements: new EnablementRepository(aws.env[registryTable.envVar] as string),
      messages: new MessageRepository(aws.env[messagesTable.envVar] as string),
      payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
      queue: {
        enqueue: async (jobs: unknown[]) => void enqueued.push(...jobs),
      } as unknown as AcceptPorts['queue'],
      clock: { now: () => now },
    };
  });
  afterAll(() => aws?.stop());

  it('answers "in progress" while the first request may still run, and lets a retry take over after', async () => {
    const body = Buffer.from('{"order":1}');
    // The first request claimed the key and died before storing msg_dead.
    await ports.messages.claimIdempotencyKey(
      'erp',
      sha256Hex('order-1'),
      { messageId: 'msg_dead', bodySha256: sha256Hex(body), claimedAt: now },
      Math.floor(now / 1000) + 3600,
    );
    const post = () =>
      acceptMessage(ports, key, {
        sender: 'erp',
        receiver: 'wms',
        doctype: 'order',
        body,
        contentType: 'application/json',
        idempotencyKey: 'order-1',
      });
    now += 10_000;
    await expect(post()).rejects.toMatchObject({ status: 409, code: 'idempotency_key_in_use' });
    now += IDEMPOTENCY_TAKEOVER_MS;
    const taken = await post();
    expect(taken.replay).toBe(false);
    expect(enqueued).toHaveLength(1);
    const again = await post();
    expect(again).toMatchObject({ replay: true, message: { id: taken.message.id } });
    // Its delivery has not started, so the replay queues it again (its job may never have been sent).
    expect(enqueued).toEqual([enqueued[0], enqueued[0]]);
  });

  it('queues, on a replay, the deliveries a request that died after storing its message left without a job', async () => {
    const input = { ...order, receiver: 'dc2', body: Buffer.from('{"order":4}'), idempotencyKey: 'order-4' };
    // The first request stored the message and died before its jobs reached the queue.
    const lost = { ...ports, queue: { enqueue: async () => undefined } as unknown as AcceptPorts['queue'] };
    const first = await acceptMessage(lost, key, input);
    const id = first.message.id;
    const jobs = enqueued.length;
    const retry = await acceptMessage(ports, key, input);
    expect(retry).toMatchObject({ replay: true, message: { id } });
    // The push delivery gets its job; the pull one waits in the inbox and needs none.
    expect(enqueued.slice(jobs)).toEqual([{ messageId: id, integrationId: 'int_dc2', ordered: false }]);
    // Once an attempt has started, its job exists (the worker holds it): a replay adds none.
    const record = await ports.messages.getRecord(id);
    const push = record?.deliveries.find((d) => d.integrationId === 'int_dc2');
    if (!record || !push) throw new Error('the stored message has no push delivery');
    const firstRow = {
      delivery: push,
      expiresAt: record.message.expiresAt,
      receivedAt: record.message.receivedAt,
    };
    expect(await ports.messages.claimAttempt(id, 'int_dc2', 1, firstRow)).toBe(true);
    await acceptMessage(ports, key, input);
    expect(enqueued).toHaveLength(jobs + 1);
  });

  it('answers 503 to a replay whose jobs cannot be queued, so its client tries again', async () => {
    const input = { ...order, receiver: 'dc2', body: Buffer.from('{"order":5}'), idempotencyKey: 'order-5' };
    const lost = { ...ports, queue: { enqueue: async () => undefined } as unknown as AcceptPorts['queue'] };
    await acceptMessage(lost, key, input);
    const down = {
      ...ports,
      queue: {
        enqueue: async () => {
          throw new Error('SQS is down');
        },
      } as unknown as AcceptPorts['queue'],
    };
    await expect(acceptMessage(down, key, input)).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    expect((await acceptMessage(ports, key, input)).replay).toBe(true);
  });

  const order = {
    sender: 'erp',
    receiver: 'dc1',
    doctype: 'order',
    version: '1',
    body: Buffer.from('{"order":2}'),
    contentType: 'application/json',
  };

  it('answers 409 for the same key and body with another receiver, doctype, version or content type', async () => {
    const first = await acceptMessage(ports, key, { ...order, idempotencyKey: 'order-2' });
    expect(first.replay).toBe(false);
    const jobs = enqueued.length;
    for (const other of [
      { receiver: 'dc2' },
      { doctype: 'invoice' },
      { version: '2' },
      { version: undefined },
      { contentType: 'application/xml' },
    ]) {
      await expect(
        acceptMessage(ports, key, { ...order, ...other, idempotencyKey: 'order-2' }),
      ).rejects.toMatchObject({ status: 409, code: 'idempotency_key_reused' });
    }
    expect(enqueued).toHaveLength(jobs);
    // The first request itself is still answered with its message.
    const again = await acceptMessage(ports, key, { ...order, idempotencyKey: 'order-2' });
    expect(again).toMatchObject({ replay: true, message: { id: first.message.id, receiver: 'dc1' } });
  });

  it('judges a claim stored before fingerprints (body hash only) by the message it names', async () => {
    const first = await acceptMessage(ports, key, { ...order, idempotencyKey: 'order-3' });
    // Rewrite the claim as older code stored it: no fingerprint.
    await ports.messages.takeOverIdempotencyKey(
      'erp',
      sha256Hex('order-3'),
      first.message.id,
      { messageId: first.message.id, bodySha256: sha256Hex(order.body), claimedAt: now },
      Math.floor(now / 1000) + 3600,
    );
    const again = await acceptMessage(ports, key, { ...order, idempotencyKey: 'order-3' });
    expect(again).toMatchObject({ replay: true, message: { id: first.message.id } });
    await expect(
      acceptMessage(ports, key, { ...order, doctype: 'invoice', idempotencyKey: 'order-3' }),
    ).rejects.toMatchObject({ status: 409, code: 'idempotency_key_reused' });
  });
});
