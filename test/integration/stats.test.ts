import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryStats } from '../../functions/adapters/stats.js';
import type { HourCounts } from '../../functions/core/stats.js';
import { messagesTable } from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

interface IntegrationStats {
  integrationId: string;
  delivered: number;
  failed: number;
  retrying: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
  health: string;
}

/**
 * GET /admin/stats on the local hub after real deliveries to a real partner server: one receiver takes
 * everything (delivered), one answers 500 to an integration with one attempt (failed), one answers
 * 500 to an integration with the default schedule (retrying, the next attempt an hour away).
 */
describe('delivery statistics', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key = '';
  const ids: Record<string, string> = {};
  const sent: Record<string, string[]> = { wms: [], tms: [], dms: [] };
  const down = new Set(['tms', 'dms']);
  let startedAt = 0;

  const post = async (receiver: string) => {
    const r = await hub.partner('POST', `/v1/messages?sender=erp&receiver=${receiver}&doctype=order`, key, {
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    sent[receiver]?.push(r.json.id);
    return r.json.id as string;
  };
  const view = async (id: string) => (await hub.admin('GET', `/admin/messages/${id}`)).json;
  const settled = (list: string[], status: string) =>
    eventually(
      async () =>
        (await Promise.all(list.map(view))).every((m) => m.deliveries[0].status === status)
          ? true
          : undefined,
      20_000,
      `deliveries ${status}`,
    );
  const stats = async (query = '') => {
    const r = await hub.admin('GET', `/admin/stats${query}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json as {
      since: string;
      accepted: number;
      delivered: number;
      failed: number;
      retrying: number;
      held: number;
      oldestUndeliveredAt?: string;
      integrations: IntegrationStats[];
    };
  };
  const of = (s: { integrations: IntegrationStats[] }, receiver: string) =>
    s.integrations.find((i) => i.integrationId === ids[receiver]);

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner((r, res) => {
      if (down.has(r.url.searchParams.get('receiver') ?? '')) res.statusCode = 500;
      res.end('answer');
    });
    for (const code of ['erp', 'wms', 'tms', 'dms'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    const add = async (receiver: string, extra: Record<string, unknown> = {}) => {
      const r = await hub.admin('POST', '/admin/integrations', {
        ...outboundIntegration(`orders to ${receiver}`, receiver, partner.url),
        ...extra,
      });
      expect(r.status).toBe(201);
      ids[receiver] = r.json.id;
    };
    await add('wms');
    await add('tms', { maxAttempts: 1 });
    // The default schedule: the second attempt is an hour after the first.
    await add('dms');
    startedAt = Date.now();
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  /** The stats once they count `delivered` and `failed` deliveries (or the last read, after a while). */
  const countedWhen = async (query: string, delivered: number, failed: number) => {
    let last = await stats(query);
    await eventually(
      async () => {
        last = await stats(query);
        return last.delivered >= delivered && last.failed >= failed ? true : undefined;
      },
      5_000,
      'the ended deliveries to be counted',
    ).catch(() => undefined);
    return last;
  };

  it('counts nothing on a fresh hub, over the last 24 hours by default', async () => {
    const s = await stats();
    expect(s).toEqual({
      since: expect.any(String),
      accepted: 0,
      delivered: 0,
      failed: 0,
      retrying: 0,
      held: 0,
      integrations: [],
    });
    // Whole hours: the start of the hour that was 24 hours ago.
    const since = Date.parse(s.since);
    expect(since % 3_600_000).toBe(0);
    expect(since).toBeGreaterThan(Date.now() - 25 * 3_600_000);
    expect(since).toBeLessThanOrEqual(Date.now() - 24 * 3_600_000);
  });

  it('counts accepted, delivered, failed and retrying after real deliveries, per integration', async () => {
    for (const receiver of ['dms', 'wms', 'tms', 'wms', 'dms', 'wms', 'tms']) await post(receiver);
    await settled(sent.wms ?? [], 'delivered');
    await settled(sent.tms ?? [], 'failed');
    await settled(sent.dms ?? [], 'retrying');

    // A worker counts the deliveries its batch ended when the batch is done, just after they show.
    const s = await countedWhen(`?since=${new Date(startedAt - 60_000).toISOString()}`, 3, 2);
    expect(s).toMatchObject({ accepted: 7, delivered: 3, failed: 2, retrying: 2, held: 0 });
    expect(Date.parse(s.since) % 3_600_000).toBe(0);
    expect(s.integrations).toHaveLength(3);
    const wms = of(s, 'wms');
    const tms = of(s, 'tms');
    const dms = of(s, 'dms');
    expect(wms).toMatchObject({ delivered: 3, failed: 0, retrying: 0, health: 'ok' });
    expect(tms).toMatchObject({ delivered: 0, failed: 2, retrying: 0, health: 'ok' });
    expect(dms).toMatchObject({ delivered: 0, failed: 0, retrying: 2, health: 'ok' });
    expect(wms?.lastFailureAt).toBeUndefined();
    expect(tms?.lastSuccessAt).toBeUndefined();
    // The last success is at or after the last wms message arrived; the last failure likewise.
    const lastWms = (await view(sent.wms?.at(-1) ?? '')).receivedAt as string;
    const lastTms = (await view(sent.tms?.at(-1) ?? '')).receivedAt as string;
    expect(wms?.lastSuccessAt && wms.lastSuccessAt >= lastWms).toBe(true);
    expect(tms?.lastFailureAt && tms.lastFailureAt >= lastTms).toBe(true);
    expect(Date.parse(wms?.lastSuccessAt ?? '')).toBeLessThanOrEqual(Date.now());
    // The oldest undelivered: the first message to dms, which still waits for its second attempt.
    expect(s.oldestUndeliveredAt).toBe((await view(sent.dms?.[0] ?? '')).receivedAt);
    // The default window holds the same.
    expect(await stats()).toMatchObject({ accepted: 7, delivered: 3, failed: 2, retrying: 2 });
  });

  it('counts a retried delivery that then succeeds as delivered, keeping the failure it had', async () => {
    down.delete('tms');
    const id = sent.tms?.[0] ?? '';
    expect((await hub.admin('POST', `/admin/messages/${id}/retry`)).status).toBe(202);
    await settled([id], 'delivered');
    const s = await countedWhen('', 4, 2);
    expect(s).toMatchObject({ accepted: 7, delivered: 4, failed: 2, retrying: 2 });
    expect(of(s, 'tms')).toMatchObject({ delivered: 1, failed: 2, lastSuccessAt: expect.any(String) });
  });

  it('counts what a batch ended with one write per integration and hour, at the end of the batch, even one that threw', async () => {
    const counters = new DeliveryStats(process.env[messagesTable.envVar] as string);
    const at = Date.parse('2026-11-20T10:15:00Z');
    const seen: HourCounts[][] = [];
    await expect(
      counters.gatherEnded(async () => {
        await counters.ended('int_gathered', 'delivered', at);
        await counters.ended('int_gathered', 'delivered', at + 2_000);
        await counters.ended('int_gathered', 'failed', at + 1_000);
        await counters.ended('int_other', 'delivered', at + 3_600_000);
        // Nothing is written until the batch is done.
        seen.push(await counters.hours(at, at + 3_600_000));
        throw new Error('the batch broke');
      }),
    ).rejects.toThrow('the batch broke');
    expect(seen[0]).toEqual([]);
    const hours = await counters.hours(at, at + 3_600_000);
    expect(hours).toEqual(
      expect.arrayContaining([
        {
          hour: '2026-11-20T10',
          integrationId: 'int_gathered',
          delivered: 2,
          failed: 1,
          lastSuccessAt: new Date(at + 2_000).toISOString(),
          lastFailureAt: new Date(at + 1_000).toISOString(),
        },
        {
          hour: '2026-11-20T11',
          integrationId: 'int_other',
          delivered: 1,
          lastSuccessAt: expect.any(String),
        },
      ]),
    );
    expect(hours).toHaveLength(2);
    // Outside a batch, each is written at once, onto the same counters.
    await counters.ended('int_gathered', 'delivered', at + 5_000);
    expect((await counters.hours(at, at)).find((h) => h.integrationId === 'int_gathered')?.delivered).toBe(3);
  });

  it('refuses a since that is not an instant, in the future, or older than the 90 days kept', async () => {
    for (const since of [
      'yesterday',
      new Date(Date.now() + 3_600_000).toISOString(),
      new Date(Date.now() - 91 * 86_400_000).toISOString(),
    ]) {
      const r = await hub.admin('GET', `/admin/stats?since=${encodeURIComponent(since)}`);
      expect(r.status, since).toBe(400);
      expect(r.json.error.code).toMatch(/^invalid_/);
    }
    // 89 days ago is within what is kept.
    const r = await hub.admin(
      'GET',
      `/admin/stats?since=${new Date(Date.now() - 89 * 86_400_000).toISOString()}`,
    );
    expect(r.status).toBe(200);
    expect(r.json.accepted).toBe(7);
  });
});
