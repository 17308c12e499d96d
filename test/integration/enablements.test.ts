import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** Contract v2, "Enablements": managed integrations route only for the clients that enabled them. */
describe('enablements: managed integrations, consent and client schedules (seed 004)', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  const keys: Record<string, string> = {};
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    for (const code of ['c1', 'c2', 'wms', 'stranger']) {
      await hub.admin('POST', '/admin/partners', { code, name: code });
      keys[code] = (await hub.admin('POST', `/admin/partners/${code}/keys`, {})).json.key;
    }
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  /** A managed integration to wms for its own doctype, pushing to its own path of the partner server. */
  const managed = async (consentType: string, extra: Record<string, unknown> = {}) => {
    const doctype = `doc${++n}`;
    const r = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration(`managed ${n}`, 'wms', `${partner.url}/${doctype}`, {
        entity: doctype,
        consentType,
        managed: true,
        ...extra,
      }),
    );
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return { id: r.json.id as string, doctype };
  };
  const post = (client: string, doctype: string, body = `{"n":${Math.random()}}`) =>
    hub.partner(
      'POST',
      `/v1/messages?sender=${client}&receiver=wms&doctype=${doctype}&version=1`,
      keys[client],
      {
        headers: { 'content-type': 'application/json' },
        body,
      },
    );
  const enable = (client: string, body: Record<string, unknown>) =>
    hub.partner('POST', '/v1/enablements', keys[client], {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const asClient = (method: string, path: string, client: string, body?: unknown) =>
    hub.partner(method, path, keys[client], {
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const receivedAt = (doctype: string) =>
    partner.received.filter((r) => r.url.pathname === `/inbound/${doctype}`);
  const enablementsOf = async (integrationId: string) =>
    (await hub.admin('GET', `/admin/enablements?integrationId=${integrationId}`)).json.enablements as {
      id: string;
      partner: string;
      status: string;
      history: { by: string; action: string; note?: string }[];
    }[];

  it('refuses integrations that break the managed rules, naming the field', async () => {
    const bad = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('bad consent', 'wms', partner.url, { consentType: 'Maybe' }),
    );
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^consentType: .*None, Operator, Receiver/);
    const sender = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('managed with sender', 'wms', partner.url, { managed: true, sender: 'c1' }),
    );
    expect(sender.status).toBe(400);
    expect(sender.json.error.message).toMatch(/^sender: a managed Outbound integration/);
    const names = (await hub.admin('GET', '/admin/integrations')).json.integrations.map(
      (i: { name: string }) => i.name,
    );
    expect(names).not.toContain('bad consent');
    expect(names).not.toContain('managed with sender');
  });

  it('routes a managed integration only for a client with an active enablement (consentType None)', async () => {
    const i = await managed('None');
    expect((await post('c1', i.doctype)).status).toBe(422);

    const e = await enable('c1', { integrationId: i.id });
    expect(e.status).toBe(201);
    expect(e.json).toMatchObject({ integrationId: i.id, partner: 'c1', status: 'active', schedule: null });
    expect((await enable('c1', { integrationId: i.id })).status).toBe(409);

    expect((await post('c1', i.doctype, '{"from":"c1"}')).status).toBe(202);
    // c2 did not enable it: the message finds no route, and nothing is stored for it.
    const before = await hub.storedMessageCount();
    expect((await post('c2', i.doctype)).status).toBe(422);
    expect(await hub.storedMessageCount()).toBe(before);
    await eventually(async () => (receivedAt(i.doctype).length === 1 ? true : undefined));
    expect(receivedAt(i.doctype)[0]?.body.toString()).toBe('{"from":"c1"}');
  });

  it('answers 404 for an unknown or non-managed integration, and writes nothing', async () => {
    expect((await enable('c1', { integrationId: 'int_nope' })).status).toBe(404);
    const plain = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration(`plain ${++n}`, 'wms', partner.url, { entity: `plain${n}` }),
    );
    expect((await enable('c1', { integrationId: plain.json.id })).status).toBe(404);
    expect(await enablementsOf(plain.json.id)).toEqual([]);
  });

  it('waits for the operator when consentType is Operator, and shows who did what', async () => {
    const i = await managed('Operator');
    const e = (await enable('c1', { integrationId: i.id })).json;
    expect(e.status).toBe('pending_consent');
    expect((await post('c1', i.doctype)).status).toBe(422);

    // The operator is told (an operational event), and the consent queue lists it.
    const told = await eventually(async () => {
      const events = (await hub.admin('GET', '/admin/events?type=enablement.pending')).json.events as {
        integrationId?: string;
        partner?: string;
      }[];
      return events.find((x) => x.integrationId === i.id);
    });
    expect(told.partner).toBe('c1');
    expect((told as { detail: string }).detail).toContain(`(enablement ${e.id})`);
    const queue = (await hub.admin('GET', '/admin/enablements?status=pending_consent')).json.enablements;
    expect(queue.map((x: { id: string }) => x.id)).toContain(e.id);
    // Only the receiver of a Receiver-consent integration may answer as a partner: wms gets 404 here.
    expect((await asClient('POST', `/v1/enablements/${e.id}/consent`, 'wms', { granted: true })).status).toBe(
      404,
    );
    const granted = await hub.admin('POST', `/admin/enablements/${e.id}/consent`, {
      granted: true,
      note: 'ok',
    });
    expect(granted.status).toBe(200);
    expect(granted.json.status).toBe('active');
    expect(granted.json.history.map((h: { by: string; action: string }) => `${h.by} ${h.action}`)).toEqual([
      'client:c1 enabled',
      'operator consent_granted',
    ]);
    expect((await post('c1', i.doctype)).status).toBe(202);
  });

  it('waits for the receiver when consentType is Receiver; a revoke stops routing at once', async () => {
    const i = await managed('Receiver');
    const e = (await enable('c1', { integrationId: i.id })).json;
    expect(e.status).toBe('pending_consent');
    // Neither a stranger nor the client itself may consent: to them the enablement does not exist.
    for (const who of ['stranger', 'c1']) {
      expect((await asClient('POST', `/v1/enablements/${e.id}/consent`, who, { granted: true })).status).toBe(
        404,
      );
    }
    const granted = await asClient('POST', `/v1/enablements/${e.id}/consent`, 'wms', { granted: true });
    expect(granted.status).toBe(200);
    expect(granted.json.status).toBe('active');
    expect((await post('c1', i.doctype)).status).toBe(202);

    const revoked = await asClient('POST', `/v1/enablements/${e.id}/consent`, 'wms', {
      granted: false,
      note: 'contract ended',
    });
    expect(revoked.json.status).toBe('rejected');
    expect((await post('c1', i.doctype)).status).toBe(422);
    const [seen] = await enablementsOf(i.id);
    expect(seen?.history.at(-1)).toMatchObject({
      by: 'receiver:wms',
      action: 'consent_revoked',
      note: 'contract ended',
    });
    // Once refused it stays refused; the client deletes it and asks anew.
    expect((await asClient('POST', `/v1/enablements/${e.id}/consent`, 'wms', { granted: true })).status).toBe(
      409,
    );
    expect((await asClient('DELETE', `/v1/enablements/${e.id}`, 'c1')).status).toBe(204);
    expect((await enable('c1', { integrationId: i.id })).json.status).toBe('pending_consent');
  });

  it('records a refusal of a pending enablement as rejected, and it never routes', async () => {
    const i = await managed('Receiver');
    const e = (await enable('c2', { integrationId: i.id })).json;
    const r = await asClient('POST', `/v1/enablements/${e.id}/consent`, 'wms', { granted: false });
    expect(r.json.status).toBe('rejected');
    expect((await post('c2', i.doctype)).status).toBe(422);
    expect((await enablementsOf(i.id))[0]?.history.at(-1)?.action).toBe('consent_rejected');
  });

  it('lets a client set its own schedule only where the integration allows it', async () => {
    const fixed = await managed('None');
    const refused = await enable('c1', { integrationId: fixed.id, schedule: 60 });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toMatch(/^schedule:/);
    expect(await enablementsOf(fixed.id)).toEqual([]);
    const e = (await enable('c1', { integrationId: fixed.id })).json;
    expect((await asClient('PATCH', `/v1/enablements/${e.id}`, 'c1', { schedule: 30 })).status).toBe(400);
    expect((await asClient('GET', `/v1/enablements/${e.id}`, 'c1')).json.schedule).toBeNull();

    const editable = await managed('None', { clientScheduleEditable: true });
    const own = await enable('c1', { integrationId: editable.id, schedule: 60 });
    expect(own.status).toBe(201);
    expect(own.json.schedule).toBe(60);
    const patched = await asClient('PATCH', `/v1/enablements/${own.json.id}`, 'c1', { schedule: 15 });
    expect(patched.json.schedule).toBe(15);
    for (const schedule of [0, 10_081, 1.5, '60']) {
      expect((await asClient('PATCH', `/v1/enablements/${own.json.id}`, 'c1', { schedule })).status).toBe(
        400,
      );
    }
    const history = (await enablementsOf(editable.id))[0]?.history.map((h) => h.action);
    expect(history).toEqual(['enabled', 'schedule_changed']);
    expect((await asClient('GET', `/v1/enablements/${own.json.id}`, 'c1')).json.schedule).toBe(15);
  });

  it("keeps each client to its own enablements: another's id is 404", async () => {
    const i = await managed('None');
    const mine = (await enable('c1', { integrationId: i.id })).json;
    for (const [method, path, body] of [
      ['GET', `/v1/enablements/${mine.id}`, undefined],
      ['PATCH', `/v1/enablements/${mine.id}`, { schedule: null }],
      ['DELETE', `/v1/enablements/${mine.id}`, undefined],
      ['GET', '/v1/enablements/enb_not.an-id', undefined],
      ['GET', `/v1/enablements/${mine.id.replace(/^enb_./, 'enb_0')}`, undefined],
    ] as const) {
      expect((await asClient(method, path, 'c2', body)).status, `${method} ${path}`).toBe(404);
    }
    const listed = (await asClient('GET', '/v1/enablements', 'c2')).json.enablements as { partner: string }[];
    expect(listed.every((x) => x.partner === 'c2')).toBe(true);
    expect(
      (await asClient('GET', '/v1/enablements', 'c1')).json.enablements.map((x: { id: string }) => x.id),
    ).toContain(mine.id);
    // c1's own still stands.
    expect((await asClient('GET', `/v1/enablements/${mine.id}`, 'c1')).status).toBe(200);
  });

  it('applies a PATCH of the managed integration to every client from its next delivery', async () => {
    const i = await managed('None');
    for (const c of ['c1', 'c2']) expect((await enable(c, { integrationId: i.id })).status).toBe(201);
    const moved = `${i.doctype}-moved`;
    const patched = await hub.admin('PATCH', `/admin/integrations/${i.id}`, {
      delivery: { mode: 'push', url: `${partner.url}/${moved}`, format: 'raw' },
    });
    expect(patched.status).toBe(200);
    for (const c of ['c1', 'c2']) expect((await post(c, i.doctype, `{"from":"${c}"}`)).status).toBe(202);
    const got = await eventually(async () =>
      receivedAt(moved).length === 2 ? receivedAt(moved) : undefined,
    );
    expect(got.map((r) => r.body.toString()).sort()).toEqual(['{"from":"c1"}', '{"from":"c2"}']);
    expect(receivedAt(i.doctype)).toHaveLength(0);
  });

  it('ends a disabled client’s queued deliveries as failed, and refuses to delete an enabled integration', async () => {
    // The first attempt fails; the retry (a second later) finds the client switched it off.
    const i = await managed('None', { maxAttempts: 2, delivery: { retrySchedule: [1] } });
    partner.respondWith((r, res) => {
      res.statusCode = r.url.pathname === `/inbound/${i.doctype}` ? 503 : 200;
      res.end('busy');
    });
    try {
      const e = (await enable('c1', { integrationId: i.id })).json;
      const m = await post('c1', i.doctype);
      expect(m.status).toBe(202);
      await eventually(async () => (receivedAt(i.doctype).length === 1 ? true : undefined));

      expect((await hub.admin('DELETE', `/admin/integrations/${i.id}`)).status).toBe(409);
      expect((await asClient('DELETE', `/v1/enablements/${e.id}`, 'c1')).status).toBe(204);
      expect((await asClient('GET', `/v1/enablements/${e.id}`, 'c1')).status).toBe(404);
      expect((await post('c1', i.doctype)).status).toBe(422);

      const view = await eventually(async () => {
        const v = (await hub.admin('GET', `/admin/messages/${m.json.id}`)).json;
        return v.deliveries[0].status === 'failed' ? v : undefined;
      });
      expect(view.deliveries[0].error).toBe('disabled by the client');
      expect(view.deliveries[0].attempts).toHaveLength(1);
      expect(receivedAt(i.doctype)).toHaveLength(1);
      expect((await hub.admin('DELETE', `/admin/integrations/${i.id}`)).status).toBe(204);
    } finally {
      partner.respondWith((_r, res) => res.end('ok'));
    }
  });

  it('sends entity rows of a managed integration only for owners that enabled it', async () => {
    const entity = `Invoice${++n}`;
    const r = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration(`managed rows ${n}`, 'wms', `${partner.url}/${entity}`, {
        entity,
        consentType: 'None',
        managed: true,
      }),
    );
    const put = async (client: string, id: string) =>
      (await asClient('PUT', `/v1/entities/${entity}/${id}`, client, { total: 1 })).json.queued;
    expect(await put('c1', 'a')).toEqual([]);
    await enable('c1', { integrationId: r.json.id });
    expect(await put('c1', 'b')).toEqual([r.json.id]);
    expect(await put('c2', 'c')).toEqual([]);
  });

  it('makes the enabling client the receiver of a managed Inbound integration, whose rows are its own', async () => {
    const r = await hub.admin('POST', '/admin/integrations', {
      name: `managed inbound ${++n}`,
      direction: 'Inbound',
      entity: 'Timesheet',
      consentType: 'None',
      managed: true,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    // Its client is its receiver: Receiver consent would be the client's own.
    const selfConsent = await hub.admin('POST', '/admin/integrations', {
      name: `managed inbound receiver consent ${n}`,
      direction: 'Inbound',
      entity: 'Timesheet',
      consentType: 'Receiver',
      managed: true,
    });
    expect(selfConsent.status).toBe(400);
    expect(selfConsent.json.error.message).toMatch(/^consentType: a managed Inbound/);
    const send = () =>
      hub.partner('POST', '/v1/messages?sender=c2&receiver=c1&doctype=Timesheet&version=1', keys.c2, {
        headers: { 'content-type': 'application/json' },
        body: '{"id":"t-1","hours":7}',
      });
    expect((await send()).status).toBe(422);
    const e = (await enable('c1', { integrationId: r.json.id })).json;
    expect(e.status).toBe('active');
    const m = await send();
    expect(m.status).toBe(202);
    const rowOf = await eventually(async () => {
      const got = await asClient('GET', '/v1/entities/Timesheet/t-1', 'c1');
      return got.status === 200 ? got.json : undefined;
    });
    expect(rowOf).toMatchObject({ owner: 'c1', data: { id: 't-1', hours: 7 } });
    // c2 enabled nothing: a document to c2 finds no route.
    const toC2 = await hub.partner(
      'POST',
      '/v1/messages?sender=c1&receiver=c2&doctype=Timesheet&version=1',
      keys.c1,
      {
        headers: { 'content-type': 'application/json' },
        body: '{"id":"t-2"}',
      },
    );
    expect(toC2.status).toBe(422);
    expect((await asClient('DELETE', `/v1/enablements/${e.id}`, 'c1')).status).toBe(204);
    expect((await send()).status).toBe(422);
  });

  it('takes a disabled client’s pull deliveries out of the receiver’s inbox, ended failed', async () => {
    const doctype = `pull${++n}`;
    const created = await hub.admin('POST', '/admin/integrations', {
      name: `managed pull ${n}`,
      direction: 'Outbound',
      entity: doctype,
      consentType: 'None',
      managed: true,
      receiver: 'wms',
      delivery: { mode: 'pull' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const i = { id: created.json.id as string, doctype };
    const e = (await enable('c1', { integrationId: i.id })).json;
    const kept = await post('c1', i.doctype);
    expect(kept.status).toBe(202);
    expect((await asClient('DELETE', `/v1/enablements/${e.id}`, 'c1')).status).toBe(204);
    const inbox = await asClient('GET', '/v1/inbox?limit=10', 'wms');
    expect(inbox.status).toBe(200);
    expect(inbox.json.messages.map((m: { id: string }) => m.id)).not.toContain(kept.json.id);
    const d = (await hub.admin('GET', `/admin/messages/${kept.json.id}`)).json.deliveries[0];
    expect(d).toMatchObject({ status: 'failed', error: 'disabled by the client' });
  });

  it("holds a client's deliveries to its own schedule, and no one else's", async () => {
    const i = await managed('None', { clientScheduleEditable: true });
    expect((await enable('c1', { integrationId: i.id, schedule: 60 })).status).toBe(201);
    expect((await enable('c2', { integrationId: i.id })).status).toBe(201);
    const held = await post('c1', i.doctype, '{"from":"c1"}');
    const sent = await post('c2', i.doctype, '{"from":"c2"}');
    const d = (await hub.admin('GET', `/admin/messages/${held.json.id}`)).json.deliveries[0];
    expect(d.status).toBe('queued');
    expect(new Date(d.nextAttemptAt).getUTCMinutes()).toBe(0);
    expect(Date.parse(d.nextAttemptAt)).toBeGreaterThan(Date.now());
    await eventually(async () => {
      const v = (await hub.admin('GET', `/admin/messages/${sent.json.id}`)).json;
      return v.deliveries[0].status === 'delivered' ? true : undefined;
    });
    expect(receivedAt(i.doctype).map((r) => r.body.toString())).toEqual(['{"from":"c2"}']);
  });
});
