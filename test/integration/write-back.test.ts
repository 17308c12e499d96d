import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderedDeliveryQueue } from '../../lib/resources.js';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** Contract v2, "Triggers": `delivery.writeBack` writes the counterparty's answer onto the row (Teamogy). */
describe('write-back: the outcome of a row delivery written onto the row', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key: string;
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner((r, res) => {
      const path = r.url.pathname;
      if (path.endsWith('/fails')) {
        res.statusCode = 500;
        return res.end('ledger closed');
      }
      if (path.endsWith('/xml')) {
        res.setHeader('content-type', 'application/xml');
        return res.end('<ack><id>9</id></ack>');
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ erpId: `E-${JSON.parse(r.body.toString()).total}` }));
    });
    for (const code of ['teamogy', 'erp']) await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/teamogy/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  const integration = async (entity: string, path: string, extra: Record<string, unknown>) => {
    const { delivery, ...rest } = extra as { delivery?: object };
    const r = await hub.admin('POST', '/admin/integrations', {
      name: `write-back ${++n}`,
      direction: 'Outbound',
      entity,
      consentType: 'None',
      sender: 'teamogy',
      receiver: 'erp',
      ...rest,
      delivery: { mode: 'push', url: `${partner.url}/${path}`, format: 'raw', ...delivery },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.id as string;
  };
  const put = async (entity: string, id: string, data: unknown) => {
    const r = await hub.partner('PUT', `/v1/entities/${entity}/${id}`, key, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    });
    expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
    return r.json as { version: number; queued: string[] };
  };
  const row = async (entity: string, id: string) =>
    (await hub.partner('GET', `/v1/entities/${entity}/${id}`, key)).json as {
      version: number;
      data: Record<string, unknown>;
      deliveries: {
        integrationId: string;
        status: string;
        version: number;
        response?: string;
        error?: string;
      }[];
    };
  const atVersion = (entity: string, id: string, version: number) =>
    eventually(async () => {
      const r = await row(entity, id);
      return r.version === version ? r : undefined;
    });
  const hits = (path: string) => partner.received.filter((r) => r.url.pathname === `/inbound/${path}`);

  const TEAMOGY =
    'outcome = "delivered" ? {"exported": true, "erpId": response.erpId} : {"exportError": error}';

  it('merges the answer into the row as a new version, which never triggers its writer but triggers others', async () => {
    const writer = await integration('Invoice', 'export', {
      includeUpdate: true,
      delivery: { writeBack: TEAMOGY },
    });
    const watcher = await integration('Invoice', 'watch', { includeUpdate: true });
    expect((await put('Invoice', 'inv-1', { total: 17 })).queued.sort()).toEqual([writer, watcher].sort());

    const written = await atVersion('Invoice', 'inv-1', 2);
    expect(written.data).toEqual({ total: 17, exported: true, erpId: 'E-17' });
    const mine = written.deliveries.find((d) => d.integrationId === writer);
    expect(mine).toMatchObject({ status: 'delivered', version: 1, response: '{"erpId":"E-17"}' });
    // The watcher sees the written-back version as any update; the writer is not triggered by it.
    await eventually(async () => (hits('watch').length === 2 ? true : undefined));
    expect(JSON.parse(hits('watch')[1]?.body.toString() ?? '')).toEqual(written.data);
    await new Promise((r) => setTimeout(r, 500));
    expect(hits('export')).toHaveLength(1);
    expect((await row('Invoice', 'inv-1')).version).toBe(2);
  });

  it('marks the row with the error when the last attempt fails (Teamogy: the invoice is marked)', async () => {
    await integration('Bill', 'fails', { maxAttempts: 1, delivery: { writeBack: TEAMOGY } });
    await put('Bill', 'b-1', { total: 3 });
    const marked = await atVersion('Bill', 'b-1', 2);
    expect(marked.data.exportError).toMatch(/^HTTP 500/);
    expect(marked.deliveries[0]).toMatchObject({ status: 'failed', response: 'ledger closed' });
  });

  it('reads an XML answer as a document', async () => {
    await integration('Order', 'xml', { delivery: { writeBack: '{"ackId": response.ack.id}' } });
    await put('Order', 'o-1', { total: 1 });
    expect((await atVersion('Order', 'o-1', 2)).data).toEqual({ total: 1, ackId: '9' }); // XML text stays text
  });

  it('leaves the data as it is when the write-back gives no object, and says why on the delivery', async () => {
    const id = await integration('Note', 'export', { delivery: { writeBack: '"just text"' } });
    await put('Note', 'n-1', { total: 2 });
    const r = await eventually(async () => {
      const now = await row('Note', 'n-1');
      return now.deliveries.find((d) => d.integrationId === id && d.status === 'delivered') ? now : undefined;
    });
    expect(r.version).toBe(1);
    expect(r.data).toEqual({ total: 2 });
    expect(r.deliveries[0]?.error).toBe('write-back not applied: the write-back gave string, not an object');
  });

  it('refuses a write-back that is not JSONata, or on a pull delivery, and stores nothing', async () => {
    const before = (await hub.admin('GET', '/admin/integrations')).json.integrations.length;
    for (const delivery of [
      { mode: 'push', url: `${partner.url}/x`, writeBack: '{"a": ' },
      { mode: 'pull', writeBack: '{"a": 1}' },
    ]) {
      const r = await hub.admin('POST', '/admin/integrations', {
        name: `bad write-back ${++n}`,
        direction: 'Outbound',
        entity: 'Invoice',
        consentType: 'None',
        receiver: 'erp',
        delivery,
      });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/^delivery\.writeBack/);
    }
    expect((await hub.admin('GET', '/admin/integrations')).json.integrations.length).toBe(before);
  });

  it('ends a loop of write-backs 8 hops from the owner’s write, and the row says why', async () => {
    // Even n: A sends and writes n+1; odd n: B does. Each write-back is one hop further.
    const bump = '{"n": data.n + 1}';
    const a = await integration('Loop', 'loop-a', {
      includeUpdate: true,
      filter: 'n % 2 = 0',
      delivery: { writeBack: bump },
    });
    await integration('Loop', 'loop-b', {
      includeUpdate: true,
      filter: 'n % 2 = 1',
      delivery: { writeBack: bump },
    });
    await put('Loop', 'l-1', { n: 0 });
    const ended = await eventually(async () => {
      const r = await row('Loop', 'l-1');
      return r.deliveries.some((d) => d.status === 'skipped') ? r : undefined;
    });
    expect(ended.data).toEqual({ n: 8 });
    expect(ended.version).toBe(9);
    expect(ended.deliveries.find((d) => d.status === 'skipped')).toMatchObject({
      integrationId: a,
      version: 9,
      error: expect.stringContaining('the limit is 8'),
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(hits('loop-a').length + hits('loop-b').length).toBe(8);
  });

  it('keeps every outcome when several deliveries of one version end at once', async () => {
    const ids = [];
    for (let k = 0; k < 3; k++) ids.push(await integration('Pair', `pair-${k}`, {}));
    await put('Pair', 'p-1', { total: 4 });
    const r = await eventually(async () => {
      const now = await row('Pair', 'p-1');
      return now.deliveries.filter((d) => d.status === 'delivered').length === 3 ? now : undefined;
    });
    expect(r.deliveries.map((d) => d.integrationId).sort()).toEqual([...ids].sort());
    expect(r.version).toBe(1);
  });

  it('refuses a write-back that would take the row over 256 KB, and still records the outcome', async () => {
    const id = await integration('Big', 'export', {
      delivery: { writeBack: '{"pad": $pad("", 300000, "x")}' },
    });
    await put('Big', 'b-1', { total: 5 });
    const r = await eventually(async () => {
      const now = await row('Big', 'b-1');
      return now.deliveries.find((d) => d.integrationId === id && d.status === 'delivered') ? now : undefined;
    });
    expect(r.version).toBe(1);
    expect(r.deliveries[0]?.error).toBe('write-back not applied: the row would be over 256 KB');
  });
  it('writes a dead-lettered delivery back as failed, as one that ran out of attempts', async () => {
    const id = await integration('Ledger', 'dead', { parallel: false, delivery: { writeBack: TEAMOGY } });
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const queueUrl = process.env[orderedDeliveryQueue.envVar] as string;
    const deadLetters = process.env[orderedDeliveryQueue.deadLetter.envVar] as string;
    // No worker runs while the job is moved, as SQS moves it after maxReceiveCount.
    await hub.stopWorkers();
    try {
      expect((await put('Ledger', 'l-1', { total: 1 })).queued).toEqual([id]);
      const job = await eventually(async () => {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
        return r.Messages?.[0];
      });
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetters,
          MessageBody: job.Body,
          MessageGroupId: id,
          MessageDeduplicationId: `${job.MessageId}.dead`,
        }),
      );
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: job.ReceiptHandle }));
    } finally {
      await hub.startWorkers();
      sqs.destroy();
    }
    const r = await atVersion('Ledger', 'l-1', 2);
    expect(r.data).toEqual({
      total: 1,
      exportError: expect.stringMatching(/^The delivery job was dead-lettered/),
    });
    expect(r.deliveries.at(-1)).toMatchObject({ integrationId: id, status: 'failed', version: 1 });
    expect(hits('dead')).toHaveLength(0);
  });
});
