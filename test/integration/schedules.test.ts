import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTick } from '../../functions/core/triggers.js';
import { outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** Contract v2, "Schedules": an integration with a defaultSchedule holds its deliveries until its tick. */
describe('schedules: deliveries held to the next tick', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key: string;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    for (const code of ['erp', 'wms']) await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  it('holds messages and rows alike until the next tick counted from 00:00 UTC, and shows nextRunAt', async () => {
    const created = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('hourly orders', 'wms', `${partner.url}/hourly`, {
        entity: 'HourlyOrder',
        sender: 'erp',
        defaultSchedule: 60,
      }),
    );
    expect(created.status).toBe(201);
    const before = Date.now();
    const posted = await hub.partner(
      'POST',
      '/v1/messages?sender=erp&receiver=wms&doctype=HourlyOrder&version=1',
      key,
      { headers: { 'content-type': 'application/json' }, body: '{"n":1}' },
    );
    expect(posted.status).toBe(202);
    const row = await hub.partner('PUT', '/v1/entities/HourlyOrder/o-1', key, {
      headers: { 'content-type': 'application/json' },
      body: '{"n":2}',
    });
    expect(row.json.queued).toEqual([created.json.id]);
    const after = Date.now();

    // The tick is the next whole hour (UTC) after the accept: one of these two, if an hour turned between.
    const ticks = [nextTick(before, 60), nextTick(after, 60)].map((t) => new Date(t).toISOString());
    const rowMessage = (await hub.partner('GET', '/v1/entities/HourlyOrder/o-1', key)).json.deliveries[0]
      .messageId;
    for (const id of [posted.json.id, rowMessage]) {
      const d = (await hub.admin('GET', `/admin/messages/${id}`)).json.deliveries[0];
      expect(d.status).toBe('queued');
      expect(d.attempts).toEqual([]);
      expect(ticks).toContain(d.nextAttemptAt);
      expect(new Date(d.nextAttemptAt).getUTCMinutes()).toBe(0);
    }
    const shown = (await hub.admin('GET', `/admin/integrations/${created.json.id}`)).json;
    expect(ticks).toContain(shown.nextRunAt);
  });

  it('sends at once without a schedule, shows no nextRunAt, and refuses a schedule out of range', async () => {
    const plain = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('at once', 'wms', `${partner.url}/now`, { entity: 'NowOrder' }),
    );
    expect((await hub.admin('GET', `/admin/integrations/${plain.json.id}`)).json.nextRunAt).toBeUndefined();
    for (const defaultSchedule of [0, 10_081, 2.5]) {
      const r = await hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration(`bad schedule ${defaultSchedule}`, 'wms', partner.url, { defaultSchedule }),
      );
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/^defaultSchedule:/);
    }
  });
});
