import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryQueue } from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { closedPort, type ReceivedRequest, startPartner } from '../support/partner-server.js';

/** How delivery behaves when the partner is down, slow, failing, redirecting or refusing. */
describe('delivery faults', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let senderKey: string;
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    await hub.admin('POST', '/admin/partners', { code: 'src', name: 'source' });
    senderKey = (await hub.admin('POST', '/admin/partners/src/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  /** A fresh receiver with one integration, so each test routes to its own endpoint. */
  async function route(url: string, extra: Record<string, unknown> = {}) {
    const code = `rcv${++n}`;
    await hub.admin('POST', '/admin/partners', { code, name: code });
    const receiverKey = (await hub.admin('POST', `/admin/partners/${code}/keys`, {})).json.key as string;
    const created = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration(`int ${code}`, code, url, extra),
    );
    expect(created.status).toBe(201);
    return { code, receiverKey, integration: created.json };
  }
  const send = async (receiver: string, body = '{"order":1}') => {
    const r = await hub.partner(
      'POST',
      `/v1/messages?sender=src&receiver=${receiver}&doctype=order`,
      senderKey,
      {
        body,
        headers: { 'content-type': 'application/json' },
      },
    );
    expect(r.status).toBe(202);
    return r.json.id as string;
  };
  const settled = (id: string) =>
    eventually(
      async () => {
        const r = await hub.admin('GET', `/admin/messages/${id}`);
        return ['delivered', 'failed'].includes(r.json.status) ? r.json : undefined;
      },
      30_000,
      `message ${id} to settle`,
    );
  const hits = (id: string) => partner.received.filter((r) => r.headers['webhook-id']?.startsWith(id));

  it('retries a partner that is down, then marks the delivery failed with the reason', async () => {
    const { code } = await route(`http://127.0.0.1:${await closedPort()}/in`, {
      maxAttempts: 3,
      delivery: { retrySchedule: [1, 1] },
    });
    const m = await settled(await send(code));
    expect(m.status).toBe('failed');
    const [d] = m.deliveries;
    expect(d.status).toBe('failed');
    expect(d.attempts.map((a: { n: number }) => a.n)).toEqual([1, 2, 3]);
    expect(d.attempts[0].error).toMatch(/ECONNREFUSED/);
    expect(d.error).toMatch(/attempt 3 of 3/);
  });

  it('retries 5xx and delivers on a later attempt with the same webhook-id', async () => {
    const { code } = await route(partner.url.replace('/inbound', '/flaky'), {
      maxAttempts: 3,
      delivery: { retrySchedule: [1, 1] },
    });
    let calls = 0;
    partner.respondWith((r, res) => {
      if (r.url.pathname === '/flaky' && ++calls === 1) {
        res.statusCode = 503;
        return res.end('busy');
      }
      res.end('ok');
    });
    const id = await send(code);
    const m = await settled(id);
    expect(m.status).toBe('delivered');
    expect(m.deliveries[0].attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 200]);
    const ids = new Set(hits(id).map((r) => r.headers['webhook-id']));
    expect(hits(id)).toHaveLength(2);
    expect(ids.size).toBe(1);
  });

  const terminal: [string, (r: ReceivedRequest, res: import('node:http').ServerResponse) => void, number][] =
    [
      ['a 400', (_r, res) => res.writeHead(400).end('bad order'), 400],
      [
        'a redirect (never followed)',
        (_r, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(),
        302,
      ],
    ];
  for (const [name, responder, status] of terminal) {
    it(`fails at once, without retry, on ${name}`, async () => {
      const path = `/terminal-${status}`;
      const { code } = await route(partner.url.replace('/inbound', path), {
        delivery: { retrySchedule: [1, 1, 1] },
      });
      partner.respondWith((r, res) => (r.url.pathname === path ? responder(r, res) : res.end('ok')));
      const m = await settled(await send(code));
      expect(m.status).toBe('failed');
      expect(m.deliveries[0].attempts).toHaveLength(1);
      expect(m.deliveries[0].attempts[0].statusCode).toBe(status);
      expect(m.deliveries[0].error).toMatch(/not retryable/);
      expect(m.deliveries[0].response.statusCode).toBe(status);
    });
  }

  it('gives up on a slow partner at timeoutMs and retries it', async () => {
    const { code } = await route(partner.url.replace('/inbound', '/slow'), {
      maxAttempts: 2,
      delivery: { timeoutMs: 300, retrySchedule: [1] },
    });
    partner.respondWith((r, res) => {
      if (r.url.pathname === '/slow') setTimeout(() => res.end('late'), 2000);
      else res.end('ok');
    });
    const m = await settled(await send(code));
    expect(m.status).toBe('failed');
    expect(m.deliveries[0].attempts).toHaveLength(2);
    for (const a of m.deliveries[0].attempts) expect(a.error).toMatch(/timed out after 300 ms/);
  });

  it('honours Retry-After on a 429', async () => {
    const { code } = await route(partner.url.replace('/inbound', '/limited'), {
      maxAttempts: 2,
      delivery: { retrySchedule: [1] },
    });
    let calls = 0;
    partner.respondWith((r, res) => {
      if (r.url.pathname === '/limited' && ++calls === 1) {
        res.writeHead(429, { 'retry-after': '2' });
        return res.end();
      }
      res.end('ok');
    });
    const m = await settled(await send(code));
    expect(m.status).toBe('delivered');
    const [first, second] = m.deliveries[0].attempts;
    expect(Date.parse(second.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(1900);
  });

  it('lets the operator retry a failed delivery from attempt 1', async () => {
    const { code } = await route(partner.url.replace('/inbound', '/later-ok'), { maxAttempts: 1 });
    let up = false;
    partner.respondWith((r, res) => {
      if (r.url.pathname === '/later-ok' && !up) {
        res.statusCode = 500;
        return res.end();
      }
      res.end('ok');
    });
    const id = await send(code);
    expect((await settled(id)).status).toBe('failed');
    up = true;
    const retry = await hub.admin('POST', `/admin/messages/${id}/retry`);
    expect(retry.status).toBe(202);
    const m = await eventually(async () => {
      const r = await hub.admin('GET', `/admin/messages/${id}`);
      return r.json.status === 'delivered' ? r.json : undefined;
    });
    expect(m.deliveries[0].attempts.map((a: { n: number; round: number }) => [a.round, a.n])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('notify mode sends a signed message.ready; the receiver pulls the payload with its own key', async () => {
    const { code, receiverKey, integration } = await route(partner.url.replace('/inbound', '/notify'), {
      delivery: { mode: 'notify' },
    });
    partner.respondWith((_r, res) => res.end('ok'));
    const id = await send(code, '<order><no>7</no></order>');
    expect((await settled(id)).status).toBe('delivered');
    const [hit] = hits(id);
    expect(() => new Webhook(integration.secret).verify(hit?.body ?? '', hit?.headers ?? {})).not.toThrow();
    const event = JSON.parse(hit?.body.toString() ?? '{}');
    expect(event).toMatchObject({
      type: 'message.ready',
      messageId: id,
      sender: 'src',
      receiver: code,
      doctype: 'order',
    });
    const payload = await fetch(event.links.payload, { headers: { 'x-api-key': receiverKey } });
    expect(await payload.text()).toBe('<order><no>7</no></order>');
  });

  it('renders with a JSONata template into XML', async () => {
    const { code } = await route(partner.url.replace('/inbound', '/xml'), {
      delivery: { format: 'xml', template: '{"Order": {"No": order, "Qty": $string(qty)}}' },
    });
    const id = await send(code, '{"order":"SO-9","qty":3}');
    expect((await settled(id)).status).toBe('delivered');
    expect(hits(id)[0]?.body.toString()).toBe('<Order><No>SO-9</No><Qty>3</Qty></Order>');
    expect(hits(id)[0]?.headers['content-type']).toBe('application/xml');
  });

  it('records a template that fails as a failed attempt, not a crash', async () => {
    const { code } = await route(partner.url.replace('/inbound', '/bad-template'), {
      delivery: { format: 'json', template: '$error("no such field")' },
    });
    const m = await settled(await send(code));
    expect(m.status).toBe('failed');
    expect(m.deliveries[0].attempts[0].error).toMatch(/could not be rendered: no such field/);
  });

  it('signs with both secrets during a rotation overlap', async () => {
    const { code, integration } = await route(partner.url.replace('/inbound', '/rotating'));
    partner.respondWith((_r, res) => res.end('ok'));
    const rotated = await hub.admin('POST', `/admin/integrations/${integration.id}/rotate-secret`, {
      overlapSeconds: 600,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).not.toBe(integration.secret);
    const id = await send(code);
    await settled(id);
    const [hit] = hits(id);
    expect(hit?.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [integration.secret, rotated.json.secret]) {
      expect(() => new Webhook(secret).verify(hit?.body ?? '', hit?.headers ?? {})).not.toThrow();
    }
  });

  /** A delivery waiting to retry (an hour away): its partner path answers 503, every other one 200. */
  const retryingAt = async (path: string) => {
    const { code, integration } = await route(partner.url.replace('/inbound', `/${path}`), {
      delivery: { retrySchedule: [3600, 3600, 3600] },
    });
    partner.respondWith((r, res) => {
      res.statusCode = r.url.pathname === `/${path}` ? 503 : 200;
      res.end();
    });
    const id = await send(code);
    await eventually(async () => {
      const r = await hub.admin('GET', `/admin/messages/${id}`);
      return r.json.deliveries[0].status === 'retrying' ? true : undefined;
    });
    return { integration, id };
  };

  it('marks a dead-lettered delivery failed and leaves its job in the DLQ, where SQS’s redrive restarts it', async () => {
    const { integration, id } = await retryingAt('dlq');
    // What SQS does after maxReceiveCount: the same job lands on the DLQ.
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const dlq = process.env[deliveryQueue.deadLetter.envVar] as string;
    const source = process.env[deliveryQueue.envVar] as string;
    const job = JSON.stringify({ messageId: id, integrationId: integration.id });
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: job }));
    const m = await settled(id);
    expect(m.status).toBe('failed');
    expect(m.deliveries[0].error).toMatch(/dead-lettered/);

    // The sweep marked it and left it there: still one job in the DLQ, for the operator's redrive.
    const depth = async () => {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlq,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes?.ApproximateNumberOfMessages) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
      );
    };
    expect(await depth()).toBe(1);

    // SQS's redrive (StartMessageMoveTask, which the emulator lacks) done as SQS does it: each message
    // moved back to its source queue. The delivery starts again, in a new round.
    partner.respondWith((_r, res) => res.end('ok'));
    const moved = await eventually(async () => {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1 }));
      return r.Messages?.[0];
    });
    expect(moved.Body).toBe(job);
    await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: moved.Body }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: moved.ReceiptHandle }));
    const redriven = await eventually(async () => {
      const r = await hub.admin('GET', `/admin/messages/${id}`);
      return r.json.status === 'delivered' ? r.json : undefined;
    });
    expect(redriven.deliveries[0].attempts.at(-1)).toMatchObject({ round: 1, n: 1, statusCode: 200 });
    expect(await depth()).toBe(0);
    sqs.destroy();
  });

  it('never fails a delivery again for a dead letter already marked, once the operator retried it', async () => {
    const { integration, id } = await retryingAt('dlq2');
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const dlq = process.env[deliveryQueue.deadLetter.envVar] as string;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: JSON.stringify({ messageId: id, integrationId: integration.id }),
      }),
    );
    expect((await settled(id)).status).toBe('failed');
    // The operator retries: round 2 runs (the partner still answers 503, so it waits to retry) while the
    // marked letter stays in the DLQ, where every sweep sees it again.
    expect((await hub.admin('POST', `/admin/messages/${id}/retry`)).status).toBe(202);
    const retrying = await eventually(async () => {
      const r = await hub.admin('GET', `/admin/messages/${id}`);
      const d = r.json.deliveries[0];
      return d.status === 'retrying' && d.attempts.some((a: { round?: number }) => a.round === 1)
        ? d
        : undefined;
    });
    expect(retrying.status).toBe('retrying');
    // Several sweeps later (one every 300 ms here) the delivery is still retrying, and was told once.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await hub.admin('GET', `/admin/messages/${id}`)).json.deliveries[0].status).toBe('retrying');
    const told = (await hub.admin('GET', '/admin/events?type=deadletter.marked')).json.events.filter(
      (e: { messageId?: string }) => e.messageId === id,
    );
    expect(told).toHaveLength(1);
    // Leave the queue as found.
    const letter = await eventually(async () => {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1 }));
      return r.Messages?.find((m) => m.Body?.includes(id));
    });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: letter.ReceiptHandle }));
    sqs.destroy();
  });

  it('sweeps a dead letter that is not a delivery job without losing or deleting it', async () => {
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const dlq = process.env[deliveryQueue.deadLetter.envVar] as string;
    await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'not a job' }));
    // Sweeps come and go (each hides what it reads, then shows it again); the letter stays.
    const kept = await eventually(async () => {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlq,
          WaitTimeSeconds: 1,
          VisibilityTimeout: 0, // a look that hides nothing
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const m = r.Messages?.[0];
      // Received by at least one sweep before this read.
      return m && Number(m.Attributes?.ApproximateReceiveCount) >= 2 ? m : undefined;
    });
    expect(kept.Body).toBe('not a job');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: kept.ReceiptHandle }));
    sqs.destroy();
  });
});
