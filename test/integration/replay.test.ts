import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesTable } from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * POST /admin/messages/retry on the local hub: failed deliveries made by a real partner that answers
 * 500, counted by a dry run, restarted by a job the minute tick works (every 300 ms here), and
 * delivered once the partner answers 200; a second replay, or two at once, restart nothing twice.
 */
describe('replay of failed deliveries', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let dynamo: DynamoDBClient;
  let key = '';
  let toTms = '';
  let toWms = '';
  let since = '';
  const tmsMessages: string[] = [];
  const wmsMessages: string[] = [];

  const post = async (receiver: string) => {
    const r = await hub.partner('POST', `/v1/messages?sender=erp&receiver=${receiver}&doctype=order`, key, {
      body: `{"to":"${receiver}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    return r.json.id as string;
  };
  const statusOf = async (id: string) =>
    (await hub.admin('GET', `/admin/messages/${id}`)).json.deliveries[0].status as string;
  const allAre = (ids: string[], status: string) =>
    eventually(
      async () => ((await Promise.all(ids.map(statusOf))).every((s) => s === status) ? true : undefined),
      20_000,
      `every delivery ${status}`,
    );
  /** The job items stored (a test-only Scan of the embedded table). */
  const storedJobs = async () =>
    (
      await dynamo.send(
        new ScanCommand({
          TableName: process.env[messagesTable.envVar],
          FilterExpression: 'begins_with(pk, :j)',
          ExpressionAttributeValues: { ':j': { S: 'JOB#' } },
        }),
      )
    ).Count ?? 0;
  const jobDone = (jobId: string) =>
    eventually(
      async () => {
        const r = await hub.admin('GET', `/admin/jobs/${jobId}`);
        expect(r.status).toBe(200);
        return r.json.status === 'done' ? r.json : undefined;
      },
      20_000,
      `job ${jobId} done`,
    );
  const receivedFor = (receiver: string) =>
    partner.received.filter((r) => r.url.searchParams.get('receiver') === receiver).length;

  beforeAll(async () => {
    hub = await startTestHub();
    dynamo = new DynamoDBClient({});
    partner = await startPartner((_r, res) => {
      res.statusCode = 500;
      res.end('down');
    });
    for (const code of ['erp', 'tms', 'wms'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    // One attempt, answered 500: each delivery ends failed at once.
    toTms = (
      await hub.admin('POST', '/admin/integrations', {
        ...outboundIntegration('orders to tms', 'tms', partner.url),
        maxAttempts: 1,
      })
    ).json.id;
    toWms = (
      await hub.admin('POST', '/admin/integrations', {
        ...outboundIntegration('orders to wms', 'wms', partner.url),
        maxAttempts: 1,
      })
    ).json.id;
    since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) tmsMessages.push(await post('tms'));
    for (let i = 0; i < 2; i++) wmsMessages.push(await post('wms'));
    await allAre([...tmsMessages, ...wmsMessages], 'failed');
  });
  afterAll(async () => {
    dynamo?.destroy();
    await partner?.stop();
    await hub?.stop();
  });

  it('refuses bad input with 400 and writes nothing', async () => {
    const before = await storedJobs();
    for (const body of [
      { since: 'yesterday' },
      { since: '2026-13-01T00:00:00Z' },
      { since, until: new Date(Date.parse(since) - 60_000).toISOString() },
      { since, status: 'delivered' },
      { since, dryRun: 'yes' },
      { since, limit: 10 },
      { until: new Date().toISOString() },
      // until defaults to now: a since in the future is after it.
      { since: new Date(Date.now() + 60_000).toISOString() },
    ]) {
      const r = await hub.admin('POST', '/admin/messages/retry', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.code).toMatch(/^(invalid_|unknown_)/);
    }
    expect(await storedJobs()).toBe(before);
    // Nothing was restarted either.
    for (const id of [...tmsMessages, ...wmsMessages]) expect(await statusOf(id)).toBe('failed');
  });

  it('counts by window, integration and receiver in a dry run, which writes nothing', async () => {
    const before = await storedJobs();
    const count = async (body: Record<string, unknown>) => {
      const r = await hub.admin('POST', '/admin/messages/retry', { ...body, dryRun: true });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json.matched as number;
    };
    expect(await count({ since })).toBe(5);
    expect(await count({ since, status: 'failed' })).toBe(5);
    expect(await count({ since, integrationId: toTms })).toBe(3);
    expect(await count({ since, receiver: 'wms' })).toBe(2);
    expect(await count({ since, receiver: 'wms', integrationId: toTms })).toBe(0);
    expect(await count({ since, receiver: 'erp' })).toBe(0);
    const last = (await hub.admin('GET', `/admin/messages/${wmsMessages[1]}`)).json.receivedAt as string;
    // until is inclusive: the last message received is counted at its own instant, and not a ms before.
    expect(await count({ since, until: last })).toBe(5);
    expect(await count({ since, until: new Date(Date.parse(last) - 1).toISOString() })).toBe(4);
    expect(await storedJobs()).toBe(before);
    for (const id of [...tmsMessages, ...wmsMessages]) expect(await statusOf(id)).toBe('failed');
  });

  it('restarts what the dry run counted, as a job that reaches done; a second replay restarts nothing', async () => {
    partner.respondWith((_r, res) => res.end('ok'));
    const dry = await hub.admin('POST', '/admin/messages/retry', { since, receiver: 'tms', dryRun: true });
    const sentBefore = receivedFor('tms');
    const r = await hub.admin('POST', '/admin/messages/retry', { since, receiver: 'tms' });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    expect(r.json).toEqual({ jobId: expect.stringMatching(/^job_/), matched: dry.json.matched });
    const job = await jobDone(r.json.jobId);
    expect(job).toEqual({
      id: r.json.jobId,
      kind: 'messages.retry',
      status: 'done',
      matched: 3,
      done: 3,
      failed: 0,
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.startedAt));
    await allAre(tmsMessages, 'delivered');
    // Each restarted delivery went out once more, from attempt 1 of a new round.
    expect(receivedFor('tms') - sentBefore).toBe(3);
    const m = (await hub.admin('GET', `/admin/messages/${tmsMessages[0]}`)).json;
    expect(m.deliveries[0].attempts.at(-1)).toMatchObject({ n: 1, round: 1, statusCode: 200 });
    // The wms deliveries were not part of it.
    for (const id of wmsMessages) expect(await statusOf(id)).toBe('failed');

    const again = await hub.admin('POST', '/admin/messages/retry', { since, receiver: 'tms' });
    expect(again.status).toBe(202);
    expect(again.json.matched).toBe(0);
    expect(await jobDone(again.json.jobId)).toMatchObject({ matched: 0, done: 0, failed: 0 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(receivedFor('tms') - sentBefore).toBe(3);
  });

  it('two replays of the same window at once restart each delivery once', async () => {
    const sentBefore = receivedFor('wms');
    const [a, b] = await Promise.all([
      hub.admin('POST', '/admin/messages/retry', { since, integrationId: toWms }),
      hub.admin('POST', '/admin/messages/retry', { since, integrationId: toWms }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([a.json.matched, b.json.matched]).toEqual([2, 2]);
    const [ja, jb] = await Promise.all([jobDone(a.json.jobId), jobDone(b.json.jobId)]);
    // Between them every matched delivery was restarted exactly once; the other job found it gone.
    expect(ja.done + jb.done).toBe(2);
    expect(ja.done + ja.failed).toBeLessThanOrEqual(2);
    expect(jb.done + jb.failed).toBeLessThanOrEqual(2);
    await allAre(wmsMessages, 'delivered');
    await new Promise((r) => setTimeout(r, 1000));
    expect(receivedFor('wms') - sentBefore).toBe(2);
  });

  it('answers 404 for an unknown job', async () => {
    const r = await hub.admin('GET', '/admin/jobs/job_00000000000000000000000000');
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('not_found');
  });
});
