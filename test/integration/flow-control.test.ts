import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryQueue, messagesTable } from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** parallel: false keeps order; parallel: true caps in-flight at batchSize; a stuck partner stalls only itself. */
describe('flow control per integration', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key: string;
  let n = 0;

  beforeAll(async () => {
    // Four pollers: at most two can be held by the stuck partner's two slots, as on Lambda, where
    // the event source scales out past a slow batch.
    hub = await startTestHub({ deliveryConcurrency: 4 });
    partner = await startPartner();
    await hub.admin('POST', '/admin/partners', { code: 'src', name: 'src' });
    key = (await hub.admin('POST', '/admin/partners/src/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  /** Each receiver's integration id, by receiver code. */
  const integrationOf = new Map<string, string>();
  async function receiver(path: string, extra: Record<string, unknown>) {
    const code = `r${++n}`;
    await hub.admin('POST', '/admin/partners', { code, name: code });
    const r = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration(`flow ${code}`, code, partner.url.replace('/inbound', path), extra),
    );
    expect(r.status).toBe(201);
    integrationOf.set(code, r.json.id);
    return code;
  }
  /** Has the partner answer `path` after `holdMs`, counting how many requests it held at once. */
  function countInFlight(path: string, holdMs: number) {
    let inFlight = 0;
    const seen = { max: 0 };
    partner.respondWith(async (r, res) => {
      if (r.url.pathname !== path) return res.end('ok');
      inFlight++;
      seen.max = Math.max(seen.max, inFlight);
      await new Promise((x) => setTimeout(x, holdMs));
      inFlight--;
      res.end('ok');
    });
    return seen;
  }
  const send = async (receiverCode: string, i: number) => {
    const r = await hub.partner(
      'POST',
      `/v1/messages?sender=src&receiver=${receiverCode}&doctype=order`,
      key,
      { body: `{"seq":${i}}` },
    );
    expect(r.status).toBe(202);
    return r.json.id as string;
  };
  const settledAll = (ids: string[]) =>
    eventually(
      async () => {
        const states = await Promise.all(
          ids.map(async (id) => (await hub.admin('GET', `/admin/messages/${id}`)).json.status),
        );
        return states.every((s) => s === 'delivered' || s === 'failed') ? states : undefined;
      },
      60_000,
      'every message to settle',
    );

  it('parallel: false delivers one at a time in arrival order, even across a retry', async () => {
    const path = '/ordered';
    const code = await receiver(path, {
      parallel: false,
      maxAttempts: 3,
      delivery: { retrySchedule: [1, 1] },
    });
    let inFlight = 0;
    let maxInFlight = 0;
    let failedOnce = false;
    const order: number[] = [];
    partner.respondWith(async (r, res) => {
      if (r.url.pathname !== path) return res.end('ok');
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((x) => setTimeout(x, 20));
      inFlight--;
      const seq = JSON.parse(r.body.toString()).seq as number;
      if (seq === 3 && !failedOnce) {
        failedOnce = true;
        res.statusCode = 503;
        return res.end();
      }
      order.push(seq);
      res.end('ok');
    });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await send(code, i));
    expect(await settledAll(ids)).toEqual(ids.map(() => 'delivered'));
    expect(order).toEqual([...Array(12).keys()]);
    expect(maxInFlight).toBe(1);
  });

  it('parallel: true keeps at most batchSize attempts in flight for the integration', async () => {
    const path = '/capped';
    const code = await receiver(path, { parallel: true, batchSize: 2 });
    const inFlight = countInFlight(path, 150);
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => send(code, i)));
    expect(await settledAll(ids)).toEqual(ids.map(() => 'delivered'));
    expect(inFlight.max).toBeGreaterThanOrEqual(1);
    expect(inFlight.max).toBeLessThanOrEqual(2);
    // A batchSize that can bind is counted: the integration's permits item was written.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const permits = await db.send(
      new GetCommand({
        TableName: process.env[messagesTable.envVar],
        Key: { pk: `INFLIGHT#${integrationOf.get(code)}`, sk: 'INFLIGHT' },
        ConsistentRead: true,
      }),
    );
    db.destroy();
    // (Its last batch may still be giving them back: the item's existence is what tells.)
    expect(permits.Item).toBeDefined();
  });

  it('takes no permits when batchSize cannot bind, and still makes one attempt however many copies of a job arrive', async () => {
    // Four pollers hold at most 4 × 10 jobs: a batchSize of 40 can never be reached.
    const path = '/unbound';
    const code = await receiver(path, { parallel: true, batchSize: 40, maxAttempts: 1 });
    const integrationId = integrationOf.get(code) as string;
    // 503 asks for another try; maxAttempts 1 allows none, whatever the copies of the job do.
    partner.respondWith((r, res) => {
      res.statusCode = r.url.pathname === path ? 503 : 200;
      res.end('busy');
    });
    const ids: string[] = [];
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    await hub.stopWorkers();
    try {
      for (let i = 0; i < 3; i++) ids.push(await send(code, i));
      // Four more copies of each job, as an at-least-once queue may hand out.
      for (const messageId of ids) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: process.env[deliveryQueue.envVar],
            Entries: [1, 2, 3, 4].map((n) => ({
              Id: String(n),
              MessageBody: JSON.stringify({ messageId, integrationId }),
            })),
          }),
        );
      }
    } finally {
      await hub.startWorkers({ deliveryConcurrency: 4 });
    }
    expect(await settledAll(ids)).toEqual(ids.map(() => 'failed'));
    // Let every copy be worked off before counting.
    await new Promise((x) => setTimeout(x, 1500));
    const attempts = partner.received.filter((r) => r.url.pathname === path);
    expect(attempts.map((r) => r.headers['webhook-id']?.split('.')[0]).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const m = (await hub.admin('GET', `/admin/messages/${id}`)).json;
      expect(m.deliveries[0].attempts).toHaveLength(1);
    }
    const permits = await db.send(
      new GetCommand({
        TableName: process.env[messagesTable.envVar],
        Key: { pk: `INFLIGHT#${integrationId}`, sk: 'INFLIGHT' },
        ConsistentRead: true,
      }),
    );
    expect(permits.Item).toBeUndefined();
    sqs.destroy();
    db.destroy();
  });

  it('a partner that hangs does not hold up another integration’s deliveries', async () => {
    const stuck = await receiver('/stuck', { batchSize: 2, maxAttempts: 1, delivery: { timeoutMs: 8000 } });
    const healthy = await receiver('/healthy', {});
    const events: string[] = [];
    partner.respondWith((r, res) => {
      if (r.url.pathname === '/stuck') {
        events.push('stuck-started');
        setTimeout(() => {
          events.push('stuck-released');
          res.end('late');
        }, 10_000);
        return;
      }
      if (r.url.pathname === '/healthy') events.push('healthy-delivered');
      res.end('ok');
    });
    const stuckIds = await Promise.all(Array.from({ length: 2 }, (_, i) => send(stuck, i)));
    await eventually(async () => (events.includes('stuck-started') ? true : undefined));
    const healthyIds = await Promise.all(Array.from({ length: 4 }, (_, i) => send(healthy, i)));
    await settledAll(healthyIds);
    expect(events.filter((e) => e === 'healthy-delivered')).toHaveLength(4);
    expect(events).not.toContain('stuck-released');
    const settled = await settledAll(stuckIds);
    expect(settled.every((s) => s === 'failed')).toBe(true);
  });

  it('counts ordered jobs against the cap once their integration is switched to parallel while they queue', async () => {
    const path = '/switched';
    const code = await receiver(path, { parallel: false, batchSize: 1 });
    const inFlight = countInFlight(path, 150);
    const ids: string[] = [];
    await hub.stopWorkers();
    try {
      // Four jobs queue in the FIFO queue, then the switch sends the next four to the standard queue.
      for (let i = 0; i < 4; i++) ids.push(await send(code, i));
      const patched = await hub.admin('PATCH', `/admin/integrations/${integrationOf.get(code)}`, {
        parallel: true,
      });
      expect(patched.status).toBe(200);
      for (let i = 4; i < 8; i++) ids.push(await send(code, i));
      // Workers read an integration at most once a second.
      await new Promise((x) => setTimeout(x, 1100));
    } finally {
      await hub.startWorkers({ deliveryConcurrency: 4 });
    }
    expect(await settledAll(ids)).toEqual(ids.map(() => 'delivered'));
    expect(inFlight.max).toBe(1);
  });
});
