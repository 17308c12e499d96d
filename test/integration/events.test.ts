import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationalEvents } from '../../functions/adapters/events.js';
import { MAX_REASON_CHARS } from '../../functions/core/reason.js';
import { eventsTopic, messagesTable } from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

interface EventView {
  id: string;
  type: string;
  at: string;
  integrationId?: string;
  messageId?: string;
  partner?: string;
  detail: string;
}

/**
 * Operational events on the local hub: a push delivery that uses up its attempts and a sync packet
 * that fails are told, listed by GET /admin/events (newest first, by type and since, paged) and
 * published to the events topic with the message attribute `type`, heard here by a subscribed queue.
 */
describe('operational events', () => {
  let hub: TestHub;
  let down: Awaited<ReturnType<typeof startPartner>>;
  let sqs: SQSClient;
  let sns: SNSClient;
  /** Subscribed with a filter policy on `type`: only delivery.exhausted. */
  let exhaustedQueue = '';
  /** Subscribed without a filter: every event. */
  let everyQueue = '';
  let erpKey = '';
  let areaKey = '';
  let integrationId = '';
  const heard: Record<string, Message[]> = {};

  const events = async (query: string) => {
    const r = await hub.admin('GET', `/admin/events?${query}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as { events: EventView[]; nextCursor?: string };
  };
  /** Every page of a listing, following its cursors. */
  const allPages = async (query: string, limit: number) => {
    const seen: EventView[] = [];
    let cursor: string | undefined;
    do {
      const page = await events(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.events.length).toBeLessThanOrEqual(limit);
      seen.push(...page.events);
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  };
  const post = async () => {
    const r = await hub.partner(
      'POST',
      '/v1/messages?sender=erp&receiver=tms&doctype=order&version=1',
      erpKey,
      { body: '{"n":1}', headers: { 'content-type': 'application/json' } },
    );
    expect(r.status).toBe(202);
    return r.json.id as string;
  };
  const exhaustedFor = (messageId: string) =>
    eventually(
      async () =>
        (await events('type=delivery.exhausted&limit=100')).events.find((e) => e.messageId === messageId),
      20_000,
      `delivery.exhausted for ${messageId}`,
    );
  /** What a subscribed queue has heard so far (read once, kept). */
  const drain = async (queue: string) => {
    const r = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
    );
    heard[queue] = [...(heard[queue] ?? []), ...(r.Messages ?? [])];
    return heard[queue] ?? [];
  };
  const subscribe = async (name: string, filter?: Record<string, string[]>) => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
    const arn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    await sns.send(
      new SubscribeCommand({
        TopicArn: process.env[eventsTopic.envVar],
        Protocol: 'sqs',
        Endpoint: arn,
        ...(filter ? { Attributes: { FilterPolicy: JSON.stringify(filter) } } : {}),
      }),
    );
    return url;
  };

  beforeAll(async () => {
    hub = await startTestHub();
    down = await startPartner((_r, res) => {
      res.statusCode = 500;
      res.end('down');
    });
    for (const code of ['erp', 'tms', 'DMDEV01'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    erpKey = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    areaKey = (await hub.admin('POST', '/admin/partners/DMDEV01/keys', { scopes: ['erp'] })).json.key;
    // One attempt, answered 500: retryable, but the last, so each delivery ends failed at once.
    integrationId = (
      await hub.admin('POST', '/admin/integrations', {
        ...outboundIntegration('to tms, always down', 'tms', down.url),
        maxAttempts: 1,
      })
    ).json.id;
    sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    sns = new SNSClient({});
    exhaustedQueue = await subscribe('events-exhausted', { type: ['delivery.exhausted'] });
    everyQueue = await subscribe('events-all');
  });
  afterAll(async () => {
    sqs?.destroy();
    sns?.destroy();
    await down?.stop();
    await hub?.stop();
  });

  it('tells of a push delivery that used up its attempts: listed, and published with its type', async () => {
    const messageId = await post();
    const event = await exhaustedFor(messageId);
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'delivery.exhausted',
      integrationId,
      messageId,
      partner: 'tms',
      detail: expect.stringMatching(/HTTP 500 \(attempt 1 of 1, the last\)/),
    });
    expect(Date.parse(event.at)).toBeGreaterThan(Date.now() - 60_000);
    // The delivery itself is failed, as the event says.
    const m = (await hub.admin('GET', `/admin/messages/${messageId}`)).json;
    expect(m.deliveries[0]).toMatchObject({ integrationId, status: 'failed' });

    const published = await eventually(async () => {
      const got = (await drain(exhaustedQueue)).find(
        (q) => JSON.parse(JSON.parse(q.Body ?? '{}').Message ?? '{}').messageId === messageId,
      );
      return got;
    });
    const envelope = JSON.parse(published.Body ?? '{}');
    expect(envelope.MessageAttributes).toMatchObject({
      type: { Type: 'String', Value: 'delivery.exhausted' },
      integrationId: { Type: 'String', Value: integrationId },
      partner: { Type: 'String', Value: 'tms' },
    });
    expect(JSON.parse(envelope.Message)).toEqual(event);
  });

  it('tells of a sync packet that failed, and a filtered subscriber does not hear it', async () => {
    // Pushed for user1, but the packet names user2: the packet worker refuses it.
    const body = Buffer.from(
      '<?xml version="1.0" encoding="utf-8"?>\n<NavMobileSync salesmancode="user2">\n  <table tablename="Customers">\n    <r status="insert">\n      <DMS_ROWID>r1</DMS_ROWID>\n    </r>\n  </table>\n</NavMobileSync>\n',
    );
    const pushed = await hub.partner(
      'GET',
      `/erp/push/DMDEV01/user1?packetUniqueId=wrong-user-1&size=${body.length}&packetType=xml`,
      areaKey,
    );
    expect(pushed.status).toBe(200);
    expect((await fetch(pushed.json.uploadPath, { method: 'PUT', body })).status).toBe(200);
    const event = await eventually(async () =>
      (await events('type=packet.failed')).events.find((e) => e.detail.includes(pushed.json.syncLogId)),
    );
    expect(event).toMatchObject({
      type: 'packet.failed',
      partner: 'DMDEV01',
      detail: expect.stringMatching(/salesmancode is user2, but it was pushed for the mobile user user1/),
    });
    expect(event.integrationId).toBeUndefined();
    expect(event.messageId).toBeUndefined();

    const everything = await eventually(async () => {
      const all = await drain(everyQueue);
      return all.some((q) => JSON.parse(q.Body ?? '{}').MessageAttributes?.type?.Value === 'packet.failed')
        ? all
        : undefined;
    });
    expect(everything.length).toBeGreaterThanOrEqual(2);
    await drain(exhaustedQueue);
    const types = (heard[exhaustedQueue] ?? []).map(
      (q) => JSON.parse(q.Body ?? '{}').MessageAttributes?.type?.Value as string,
    );
    expect(new Set(types)).toEqual(new Set(['delivery.exhausted']));
  });

  it('pages newest first with no duplicates or gaps, while new events arrive', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await post());
    for (const id of ids) await exhaustedFor(id);

    const first = await events('type=delivery.exhausted&limit=3');
    expect(first.events).toHaveLength(3);
    expect(first.nextCursor).toBeDefined();
    // An event that arrives after the first page is newer: it never lands on a later page.
    const late = await post();
    await exhaustedFor(late);
    const rest: EventView[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await events(`type=delivery.exhausted&limit=3&cursor=${cursor}`);
      rest.push(...page.events);
      cursor = page.nextCursor;
    }
    const listed = [...first.events, ...rest];
    expect(listed.map((e) => e.messageId)).not.toContain(late);
    expect(new Set(listed.map((e) => e.id)).size).toBe(listed.length);
    for (const id of ids) expect(listed.map((e) => e.messageId)).toContain(id);
    const times = listed.map((e) => `${e.at}#${e.id}`);
    expect(times).toEqual([...times].sort().reverse());

    // Unfiltered: every event once, the packet's among them, in the same order as one big page.
    const paged = await allPages('', 4);
    const whole = (await events('limit=100')).events;
    expect(paged.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect(new Set(paged.map((e) => e.type))).toEqual(new Set(['delivery.exhausted', 'packet.failed']));
    // The last page answers no cursor.
    expect((await events(`limit=${whole.length}`)).nextCursor).toBeUndefined();
    expect((await events(`limit=${whole.length - 1}`)).nextCursor).toBeDefined();
  });

  it('filters by type and since', async () => {
    const all = (await events('limit=100')).events;
    const packets = (await events('type=packet.failed&limit=100')).events;
    expect(packets.length).toBeGreaterThan(0);
    expect(packets.every((e) => e.type === 'packet.failed')).toBe(true);
    expect(packets.map((e) => e.id)).toEqual(all.filter((e) => e.type === 'packet.failed').map((e) => e.id));
    expect((await events('type=deadletter.marked')).events).toEqual([]);

    const middle = all[Math.floor(all.length / 2)] as EventView;
    const since = (await events(`since=${encodeURIComponent(middle.at)}&limit=100`)).events;
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((e) => e.at >= middle.at)).toBe(true);
    expect(since.map((e) => e.id)).toEqual(all.filter((e) => e.at >= middle.at).map((e) => e.id));
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await events(`since=${future}`)).events).toEqual([]);
    // A timestamp with an offset is read as the instant it names.
    expect((await events('since=2026-01-01T00:00:00%2B01:00&limit=100')).events).toHaveLength(all.length);
  });

  it('refuses a bad type, limit, since or cursor with 400, and callers without the admin key with 401', async () => {
    const status = async (query: string) => (await hub.admin('GET', `/admin/events?${query}`)).status;
    expect(await status('type=delivery.failed')).toBe(400);
    expect(await status('limit=101')).toBe(400);
    expect(await status('limit=0')).toBe(400);
    expect(await status('limit=ten')).toBe(400);
    expect(await status('since=yesterday')).toBe(400);
    expect(await status('since=2026-13-45')).toBe(400);
    expect(await status('cursor=not-a-cursor')).toBe(400);
    expect(await status('limit=100')).toBe(200);

    // A cursor of another filter, or of another listing, is not this one's.
    const typed = await events('type=delivery.exhausted&limit=1');
    expect(typed.nextCursor).toBeDefined();
    const foreign = await hub.admin('GET', `/admin/events?cursor=${typed.nextCursor}`);
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.code).toBe('invalid_cursor');
    expect(await status(`type=packet.failed&cursor=${typed.nextCursor}`)).toBe(400);
    const messages = (await hub.admin('GET', '/admin/messages?limit=1')).json;
    expect(messages.nextCursor).toBeDefined();
    expect(await status(`cursor=${messages.nextCursor}`)).toBe(400);
    const forged = Buffer.from(JSON.stringify({ stream: 'MSG#x', sk: 'a' })).toString('base64url');
    expect(await status(`cursor=${forged}`)).toBe(400);

    expect((await hub.partner('GET', '/admin/events', undefined)).status).toBe(401);
    expect((await hub.partner('GET', '/admin/events', erpKey)).status).toBe(401);
  });

  it('keeps an event it cannot publish, never throws, and caps what it stores', async () => {
    const table = process.env[messagesTable.envVar] as string;
    const missing = 'arn:aws:sns:us-east-1:000000000000:no-such-topic';
    const sink = new OperationalEvents(table, missing);
    const event = {
      type: 'integration.disabled' as const,
      at: Date.now(),
      integrationId: 'int_gone',
      detail: `x${'y'.repeat(5000)}`,
    };
    await expect(sink.record(event)).rejects.toThrow(/was not kept or published/);
    await expect(
      sink.emit({ ...event, at: event.at + 1, integrationId: 'int_gone2' }),
    ).resolves.toBeUndefined();
    const kept = (await events('type=integration.disabled')).events;
    expect(kept.map((e) => e.integrationId)).toEqual(['int_gone2', 'int_gone']);
    expect(kept[0]?.detail.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(kept[0]?.detail).toMatch(/… \(cut\)$/);
  });
});
