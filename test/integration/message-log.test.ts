import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** GET /admin/messages: the operator's message log, each filter and the cursor paging. */
describe('message log', () => {
  let hub: TestHub;
  let wms: Awaited<ReturnType<typeof startPartner>>;
  let tms: Awaited<ReturnType<typeof startPartner>>;
  const keys: Record<string, string> = {};
  const ids: Record<string, string[]> = { 'erp>wms': [], 'erp>tms': [], 'wms>erp': [] };
  const of = (k: string) => ids[k] ?? [];
  let toTms = '';
  let toWms = '';

  const post = async (sender: string, receiver: string, doctype: string) => {
    const r = await hub.partner(
      'POST',
      `/v1/messages?sender=${sender}&receiver=${receiver}&doctype=${doctype}&version=1`,
      keys[sender],
      { body: '{"n":1}', headers: { 'content-type': 'application/json' } },
    );
    expect(r.status).toBe(202);
    return r.json as { id: string; receivedAt: string };
  };
  const log = async (query: string) => {
    const r = await hub.admin('GET', `/admin/messages?${query}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as {
      messages: {
        id: string;
        status: string;
        sender: string;
        receiver: string;
        doctype: string;
        receivedAt: string;
        deliveries: { integrationId: string; status: string; attempts: number; lastStatusCode?: number }[];
      }[];
      nextCursor?: string;
    };
  };
  /** Every page of a listing, following its cursors. */
  const all = async (query: string, limit: number) => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await log(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.messages.length).toBeLessThanOrEqual(limit);
      seen.push(...page.messages.map((m) => m.id));
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  };

  beforeAll(async () => {
    hub = await startTestHub();
    wms = await startPartner();
    tms = await startPartner((_r, res) => {
      res.statusCode = 400;
      res.end('no');
    });
    for (const code of ['erp', 'wms', 'tms']) {
      await hub.admin('POST', '/admin/partners', { code, name: code });
      keys[code] = (await hub.admin('POST', `/admin/partners/${code}/keys`, {})).json.key;
    }
    toWms = (await hub.admin('POST', '/admin/integrations', outboundIntegration('to wms', 'wms', wms.url)))
      .json.id;
    toTms = (
      await hub.admin('POST', '/admin/integrations', {
        ...outboundIntegration('to tms', 'tms', tms.url),
        maxAttempts: 1,
      })
    ).json.id;
    await hub.admin('POST', '/admin/integrations', outboundIntegration('to erp', 'erp', wms.url));
    for (let i = 0; i < 5; i++) of('erp>wms').push((await post('erp', 'wms', 'order')).id);
    for (let i = 0; i < 3; i++) of('erp>tms').push((await post('erp', 'tms', 'order')).id);
    for (let i = 0; i < 2; i++) of('wms>erp').push((await post('wms', 'erp', 'order')).id);
    await eventually(async () => {
      const page = await log('limit=100');
      return page.messages.every((m) => m.status === 'delivered' || m.status === 'failed') ? true : undefined;
    });
  });
  afterAll(async () => {
    await tms?.stop();
    await wms?.stop();
    await hub?.stop();
  });

  const newestFirst = (list: string[]) => [...list].reverse();

  it('lists every message newest first, with its deliveries as counts', async () => {
    const page = await log('limit=100');
    const expected = [...of('erp>wms'), ...of('erp>tms'), ...of('wms>erp')];
    expect(page.messages.map((m) => m.id)).toEqual(newestFirst(expected));
    expect(page.nextCursor).toBeUndefined();
    const failed = page.messages.find((m) => m.receiver === 'tms');
    expect(failed).toMatchObject({ status: 'failed', sender: 'erp', doctype: 'order' });
    expect(failed?.deliveries).toEqual([
      { integrationId: toTms, status: 'failed', attempts: 1, lastStatusCode: 400 },
    ]);
  });

  it('filters by sender, receiver, partner (sender or receiver) and both', async () => {
    expect((await log('sender=wms')).messages.map((m) => m.id)).toEqual(newestFirst(of('wms>erp')));
    expect((await log('receiver=tms')).messages.map((m) => m.id)).toEqual(newestFirst(of('erp>tms')));
    expect((await log('partner=wms')).messages.map((m) => m.id)).toEqual(
      newestFirst([...of('erp>wms'), ...of('wms>erp')]),
    );
    expect((await log('sender=erp&receiver=wms')).messages.map((m) => m.id)).toEqual(
      newestFirst(of('erp>wms')),
    );
    expect((await log('partner=nobody')).messages).toEqual([]);
  });

  it('filters by status, integration, doctype and time', async () => {
    expect((await log('status=failed')).messages.map((m) => m.id)).toEqual(newestFirst(of('erp>tms')));
    expect((await log(`integrationId=${toWms}`)).messages.map((m) => m.id)).toEqual(
      newestFirst(of('erp>wms')),
    );
    expect((await log('partner=erp&status=delivered')).messages).toHaveLength(7);
    expect((await log('doctype=order')).messages).toHaveLength(10);
    expect((await log('doctype=invoice')).messages).toEqual([]);
    const every = (await log('limit=100')).messages;
    const middle = every[4] as { receivedAt: string };
    const since = (await log(`since=${middle.receivedAt}`)).messages;
    expect(since.length).toBeGreaterThanOrEqual(5);
    expect(since.every((m) => m.receivedAt >= middle.receivedAt)).toBe(true);
    const until = (await log(`until=${middle.receivedAt}&partner=erp`)).messages;
    expect(until.every((m) => m.receivedAt <= middle.receivedAt)).toBe(true);
    expect(until.length + since.length).toBeGreaterThanOrEqual(10);
    expect((await log('since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z')).messages).toEqual([]);
  });

  it('pages with a cursor: no duplicates and no gaps, for every stream and a post-filter', async () => {
    expect(await all('', 3)).toEqual((await log('limit=100')).messages.map((m) => m.id));
    expect(await all('partner=wms', 2)).toEqual(newestFirst([...of('erp>wms'), ...of('wms>erp')]));
    expect(await all('status=failed', 1)).toEqual(newestFirst(of('erp>tms')));
    expect(await all(`integrationId=${toWms}`, 2)).toEqual(newestFirst(of('erp>wms')));
    expect(await all('status=delivered', 3)).toEqual(newestFirst([...of('erp>wms'), ...of('wms>erp')]));
    expect(await all(`status=delivered&receiver=erp`, 1)).toEqual(newestFirst(of('wms>erp')));
    expect((await log('status=accepted')).messages).toEqual([]);
    expect((await log('status=pending')).messages).toEqual([]);
    const first = await log('limit=3');
    expect(first.messages).toHaveLength(3);
    expect(first.nextCursor).toBeTruthy();
  });

  it('keeps its pages whole while new messages arrive', async () => {
    const before = (await log('partner=erp&limit=100')).messages.map((m) => m.id);
    const seen: string[] = [];
    const arrived: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await log(`partner=erp&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.messages.map((m) => m.id));
      cursor = page.nextCursor;
      arrived.push((await post('erp', 'wms', 'order')).id);
    } while (cursor);
    expect(seen).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);
    // The messages that arrived meanwhile head the next listing.
    expect((await log('partner=erp&limit=100')).messages.map((m) => m.id)).toEqual([
      ...newestFirst(arrived),
      ...before,
    ]);
  });

  it('refuses a bad limit, timestamp, status or cursor with 400', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=ten', 'since=yesterday', 'status=lost', 'cursor=abc']) {
      const r = await hub.admin('GET', `/admin/messages?${q}`);
      expect(r.status, q).toBe(400);
    }
    const other = (await log('partner=wms&limit=1')).nextCursor;
    const r = await hub.admin('GET', `/admin/messages?partner=erp&limit=1&cursor=${other}`);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('invalid_cursor');
    expect(
      (await hub.admin('GET', '/admin/messages?since=2026-02-02T00:00:00Z&until=2026-01-01T00:00:00Z'))
        .status,
    ).toBe(400);
    const partner = await hub.partner('GET', '/admin/messages', keys.erp);
    expect(partner.status).toBe(401);
  });
});
