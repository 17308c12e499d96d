import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnablementRepository } from '../../functions/adapters/enablements.js';
import { MessageRepository } from '../../functions/adapters/messages.js';
import { postOutbound } from '../../functions/adapters/outbound-http.js';
import { PayloadStore } from '../../functions/adapters/payloads.js';
import { RegistryRepository } from '../../functions/adapters/registry.js';
import { discardEvents } from '../../functions/core/events.js';
import type { StoredIntegration } from '../../functions/core/integration.js';
import { storeMessage } from '../../functions/usecases/accept-message.js';
import { type DeliverPorts, deliverOnce } from '../../functions/usecases/deliver.js';
import { type EmbeddedAws, startEmbeddedAws } from '../../lib/local/emulators.js';
import { messagesTable, payloadBucket, registryTable } from '../../lib/resources.js';
import { pushIntegration, smallOrder } from '../support/fixtures.js';
import { closedPort, startPartner } from '../support/partner-server.js';

/**
 * What the real sender's typed result makes of a delivery: an address refused at connect time or a
 * URL that cannot be called fails at the first attempt, with the reason; a partner that is down or
 * slow is retried on the schedule. Real DynamoDB, real sockets, an injected clock.
 */
describe('delivery outcomes by the sender’s result', () => {
  let aws: EmbeddedAws;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let registry: RegistryRepository;
  let ports: DeliverPorts & { messages: MessageRepository; payloads: PayloadStore };
  let allowLoopback = false;
  let n = 0;
  const now = Date.parse('2026-11-23T02:00:00Z');

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    Object.assign(process.env, aws.env);
    partner = await startPartner();
    registry = new RegistryRepository(aws.env[registryTable.envVar] as string);
    const messages = new MessageRepository(aws.env[messagesTable.envVar] as string);
    ports = {
      integration: (id) => registry.getIntegration(id),
      enablements: new EnablementRepository(aws.env[registryTable.envVar] as string),
      messages,
      payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
      send: (req) => postOutbound(req, allowLoopback),
      clock: { now: () => now },
      random: () => 0.5,
      publicBaseUrl: 'http://hub.test',
      events: discardEvents,
      health: { registry, held: messages },
    };
  });
  afterAll(async () => {
    await partner?.stop();
    await aws?.stop();
  });
  const noQueue = { enqueue: async () => undefined } as unknown as Parameters<
    typeof storeMessage
  >[0]['queue'];

  /**
   * One message to an integration stored as given (as if its URL, or what its name resolves to,
   * changed after registration checked it), and its first attempt.
   */
  async function firstAttempt(delivery: Partial<NonNullable<StoredIntegration['delivery']>>) {
    const id = `int_outcome${++n}`;
    const integration = pushIntegration({
      id,
      name: id,
      delivery: { mode: 'push', url: 'https://wms.example.com/in', format: 'raw', ...delivery },
    });
    await registry.createIntegration(integration);
    await storeMessage({ ...ports, queue: noQueue }, smallOrder(`msg_${id}`), [integration]);
    const result = await deliverOnce(ports, { messageId: `msg_${id}`, integrationId: id });
    const stored = (await ports.messages.getRecord(`msg_${id}`))?.deliveries[0];
    return { result, delivery: stored };
  }

  it('fails a delivery whose host resolves to a non-public address at its first attempt', async () => {
    allowLoopback = false;
    const before = partner.received.length;
    for (const [host, why] of [
      ['localhost', /localhost resolves to a non-public address/],
      ['127.0.0.1', /127\.0\.0\.1 is not a public address/],
    ] as const) {
      const { result, delivery } = await firstAttempt({ url: `http://${host}:${partner.port}/in` });
      expect(result).toEqual({ kind: 'done' });
      expect(delivery).toMatchObject({ status: 'failed', attemptCount: 1 });
      expect(delivery?.attempts).toHaveLength(1);
      expect(delivery?.attempts?.[0]?.statusCode).toBeUndefined();
      expect(delivery?.attempts?.[0]?.error).toMatch(why);
      expect(delivery?.lastError).toMatch(/\(not retryable\)$/);
      expect(delivery?.nextAttemptAt).toBeUndefined();
    }
    expect(partner.received.length).toBe(before);
  });

  it('fails a URL the sender cannot call at its first attempt', async () => {
    allowLoopback = true;
    const { result, delivery } = await firstAttempt({ url: `ftp://127.0.0.1:${partner.port}/in` });
    expect(result).toEqual({ kind: 'done' });
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 1 });
    expect(delivery?.attempts?.[0]?.error).toMatch(/scheme \(ftp:\) is not http or https/);
    expect(delivery?.lastError).toMatch(/not retryable/);
  });

  it('still retries a refused connection and a timeout on the schedule', async () => {
    allowLoopback = true;
    const down = await firstAttempt({ url: `http://127.0.0.1:${await closedPort()}/in` });
    expect(down.result).toEqual({ kind: 'later', delaySeconds: 3600 });
    expect(down.delivery).toMatchObject({ status: 'retrying', attemptCount: 1 });
    expect(down.delivery?.attempts?.[0]?.error).toMatch(/ECONNREFUSED/);

    partner.respondWith((r, res) => {
      if (r.url.pathname === '/slow') setTimeout(() => res.end('late'), 2000);
      else res.end('ok');
    });
    const slow = await firstAttempt({ url: `http://127.0.0.1:${partner.port}/slow`, timeoutMs: 200 });
    expect(slow.result).toEqual({ kind: 'later', delaySeconds: 3600 });
    expect(slow.delivery).toMatchObject({ status: 'retrying', attemptCount: 1 });
    expect(slow.delivery?.attempts?.[0]?.error).toMatch(/timed out after 200 ms/);
    expect(slow.delivery?.lastError).not.toMatch(/not retryable/);
  });
});
