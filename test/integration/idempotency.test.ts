import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    for (const code of ['erp', 'wms']) await registry.createPartner({ code, name: code, createdAt: '' });
    const integration = pushIntegration();
    await registry.createIntegration(integration);
    ports = {
      registry,
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
    expect(enqueued).toHaveLength(1);
  });
});
