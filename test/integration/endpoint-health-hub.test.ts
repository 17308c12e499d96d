import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * Endpoint health over HTTP on the local hub (Contract v2, "Health and operational events"): the
 * field's rules on every way in, an integration disabled by its first failed delivery
 * (autoDisableAfterHours 0), its messages accepted and held, and POST …/enable sending them to a
 * real partner server in arrival order. The hours-long windows are walked in endpoint-health.test.ts.
 */
describe('endpoint health on the hub', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key = '';
  /** The partner refuses (400) while this is set, else takes everything (200). */
  let refuse = true;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner((_req, res) => {
      res.statusCode = refuse ? 400 : 200;
      res.end(refuse ? 'no' : 'ok');
    });
    for (const code of ['erp', 'wms']) await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  const post = (doctype: string, n: number) =>
    hub.partner('POST', `/v1/messages?sender=erp&receiver=wms&doctype=${doctype}&version=1`, key, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n }),
    });
  const deliveryOf = async (id: string) => (await hub.admin('GET', `/admin/messages/${id}`)).json;

  it('takes autoDisableAfterHours 0..720 or null (default 120), refuses anything else and writes nothing', async () => {
    const listed = async () => (await hub.admin('GET', '/admin/integrations')).json.integrations.length;
    const before = await listed();
    for (const bad of [721, -1, 'x', true]) {
      const r = await hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration(`bad ${String(bad)}`, 'wms', partner.url, { autoDisableAfterHours: bad }),
      );
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.error.message).toMatch(/autoDisableAfterHours/);
    }
    expect(await listed()).toBe(before);

    const plain = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('plain', 'wms', partner.url),
    );
    expect(plain.status).toBe(201);
    expect(plain.json).toMatchObject({ autoDisableAfterHours: 120, health: 'ok' });
    const id = plain.json.id as string;
    for (const bad of [721, -0.5, '5']) {
      const r = await hub.admin('PATCH', `/admin/integrations/${id}`, { autoDisableAfterHours: bad });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.error.message).toMatch(/autoDisableAfterHours/);
    }
    // Health is the hub's: a PATCH cannot set it.
    expect((await hub.admin('PATCH', `/admin/integrations/${id}`, { health: 'disabled' })).status).toBe(400);
    expect((await hub.admin('GET', `/admin/integrations/${id}`)).json).toMatchObject({
      autoDisableAfterHours: 120,
      health: 'ok',
    });
    for (const good of [null, 0, 0.5, 720]) {
      const r = await hub.admin('PATCH', `/admin/integrations/${id}`, { autoDisableAfterHours: good });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.autoDisableAfterHours).toBe(good);
      expect((await hub.admin('GET', `/admin/integrations/${id}`)).json.autoDisableAfterHours).toBe(good);
    }
    const never = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('never', 'wms', partner.url, { autoDisableAfterHours: null }),
    );
    expect(never.json.autoDisableAfterHours).toBeNull();
    // The OData face names it too, with the same rules.
    const entity = await hub.admin('GET', `/odata/Integrations('${id}')`);
    expect(entity.json.AutoDisableAfterHours).toBe(720);
    const refused = await hub.admin('PATCH', `/odata/Integrations('${id}')`, { AutoDisableAfterHours: 721 });
    expect(refused.status).toBe(400);
    expect((await hub.admin('GET', `/admin/integrations/${id}`)).json.autoDisableAfterHours).toBe(720);
  });

  it('answers enable 404 for an unknown id and 200, changing nothing, for a healthy integration', async () => {
    expect((await hub.admin('POST', '/admin/integrations/int_nope/enable')).status).toBe(404);
    const created = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('healthy', 'wms', partner.url),
    );
    const r = await hub.admin('POST', `/admin/integrations/${created.json.id}/enable`);
    expect(r.status).toBe(200);
    const { updatedAt: _u, secret: _s, ...shown } = created.json;
    expect(r.json).toMatchObject({ ...shown, health: 'ok' });
    const told = (await hub.admin('GET', '/admin/events?type=integration.enabled')).json.events;
    expect(told.filter((e: { integrationId?: string }) => e.integrationId === created.json.id)).toEqual([]);
  });

  it('disables at the first failed delivery (0), holds what it routes, and enable sends it in arrival order', async () => {
    const created = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('fragile', 'wms', partner.url, {
        entity: 'fragile',
        autoDisableAfterHours: 0,
        parallel: false,
        maxAttempts: 2,
      }),
    );
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    refuse = true;
    const first = await post('fragile', 0);
    expect(first.status).toBe(202);
    const disabled = await eventually(async () => {
      const i = (await hub.admin('GET', `/admin/integrations/${id}`)).json;
      return i.health === 'disabled' ? i : undefined;
    });
    expect(disabled).toMatchObject({
      active: true,
      health: 'disabled',
      disabledAt: expect.any(String),
      disabledReason: expect.stringMatching(/autoDisableAfterHours is 0.*HTTP 400/),
    });
    expect((await deliveryOf(first.json.id)).deliveries[0]).toMatchObject({ status: 'failed' });
    const disabledEvents = (await hub.admin('GET', '/admin/events?type=integration.disabled')).json.events;
    expect(disabledEvents).toEqual([
      expect.objectContaining({
        type: 'integration.disabled',
        integrationId: id,
        detail: disabled.disabledReason,
      }),
    ]);

    // Still accepted; each delivery waits as held, the message pending, nothing sent.
    const sentBefore = partner.received.length;
    const held: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const r = await post('fragile', n);
      expect(r.status).toBe(202);
      held.push(r.json.id);
      // Held as it is stored: never queued, so no worker has to see it first.
      expect((await deliveryOf(r.json.id)).deliveries[0]).toMatchObject({ status: 'held', attempts: [] });
    }
    for (const m of held) {
      const view = await eventually(async () => {
        const v = await deliveryOf(m);
        return v.deliveries[0]?.status === 'held' ? v : undefined;
      });
      expect(view.status).toBe('pending');
      expect(view.deliveries[0].attempts).toEqual([]);
    }
    expect(partner.received.length).toBe(sentBefore);
    const listed = (await hub.admin('GET', `/admin/messages?integrationId=${id}`)).json.messages;
    for (const m of held) {
      expect(listed.find((l: { id: string }) => l.id === m)).toMatchObject({
        status: 'pending',
        deliveries: [expect.objectContaining({ integrationId: id, status: 'held', attempts: 0 })],
      });
    }
    const pending = (await hub.admin('GET', '/admin/messages?status=pending')).json.messages;
    expect(pending.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(held));
    // The partner's own view says held too.
    expect((await hub.partner('GET', `/v1/messages/${held[0]}`, key)).json.deliveries[0].status).toBe('held');
    // The operator's stats count them held, and list the integration as disabled.
    const stats = (await hub.admin('GET', '/admin/stats')).json;
    expect(stats.held).toBeGreaterThanOrEqual(held.length);
    expect(stats.integrations).toEqual(
      expect.arrayContaining([expect.objectContaining({ integrationId: id, health: 'disabled' })]),
    );

    refuse = false;
    const enabled = await hub.admin('POST', `/admin/integrations/${id}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.json).toMatchObject({ id, health: 'ok', active: true });
    for (const gone of ['disabledAt', 'disabledReason', 'failingSince'])
      expect(enabled.json).not.toHaveProperty(gone);
    for (const m of held) {
      await eventually(async () => ((await deliveryOf(m)).status === 'delivered' ? true : undefined));
      expect((await deliveryOf(m)).deliveries[0].attempts).toHaveLength(1);
    }
    // In arrival order, one at a time (parallel: false), to the real partner.
    const sent = partner.received.slice(sentBefore).map((r) => JSON.parse(r.body.toString()).n);
    expect(sent).toEqual([1, 2, 3, 4]);
    const enabledEvents = (await hub.admin('GET', '/admin/events?type=integration.enabled')).json.events;
    expect(enabledEvents).toEqual([
      expect.objectContaining({ type: 'integration.enabled', integrationId: id }),
    ]);
    // Healthy again: new messages go straight out.
    const after = await post('fragile', 5);
    await eventually(async () =>
      (await deliveryOf(after.json.id)).status === 'delivered' ? true : undefined,
    );
  });

  it('ends the held deliveries of a disabled integration that is deleted as failed', async () => {
    const created = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('doomed', 'wms', partner.url, { entity: 'doomed', autoDisableAfterHours: 0 }),
    );
    const id = created.json.id as string;
    refuse = true;
    await post('doomed', 0);
    await eventually(async () =>
      (await hub.admin('GET', `/admin/integrations/${id}`)).json.health === 'disabled' ? true : undefined,
    );
    const held = (await post('doomed', 1)).json.id as string;
    await eventually(async () =>
      (await deliveryOf(held)).deliveries[0]?.status === 'held' ? true : undefined,
    );
    expect((await hub.admin('DELETE', `/admin/integrations/${id}`)).status).toBe(204);
    const ended = await eventually(async () => {
      const d = (await deliveryOf(held)).deliveries[0];
      return d?.status === 'failed' ? d : undefined;
    });
    expect(ended.error).toMatch(/integration was deleted/);
    refuse = false;
  });
});
