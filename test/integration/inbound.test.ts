import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** Contract v2, "Inbound integrations": a document applied to entity rows (Teamogy's server role). */
describe('Inbound integrations: documents become entity rows', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  const keys: Record<string, string> = {};
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    for (const code of ['hr', 'teamogy', 'erp']) {
      await hub.admin('POST', '/admin/partners', { code, name: code });
      keys[code] = (await hub.admin('POST', `/admin/partners/${code}/keys`, {})).json.key;
    }
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  const inbound = async (entity: string, extra: Record<string, unknown> = {}) => {
    const r = await hub.admin('POST', '/admin/integrations', {
      name: `inbound ${++n}`,
      direction: 'Inbound',
      entity,
      consentType: 'None',
      sender: 'hr',
      receiver: 'teamogy',
      ...extra,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.id as string;
  };
  const post = (doctype: string, body: string, contentType = 'application/json') =>
    hub.partner('POST', `/v1/messages?sender=hr&receiver=teamogy&doctype=${doctype}&version=1`, keys.hr, {
      headers: { 'content-type': contentType },
      body,
    });
  const row = (entity: string, id: string, as = 'teamogy') =>
    hub.partner('GET', `/v1/entities/${entity}/${id}`, keys[as]);
  const deliveryOf = (messageId: string) =>
    eventually(async () => {
      const d = (await hub.admin('GET', `/admin/messages/${messageId}`)).json.deliveries[0];
      return d.status === 'delivered' || d.status === 'failed' ? d : undefined;
    });

  it('answers 202 at once, applies the document through its template, and the rows trigger Outbound sends', async () => {
    await inbound('Attendance', {
      inbound: { template: 'events.{"id": eventId, "who": person, "hours": hours}' },
    });
    const out = await hub.admin('POST', '/admin/integrations', {
      name: 'attendance to erp',
      direction: 'Outbound',
      entity: 'Attendance',
      consentType: 'None',
      sender: 'teamogy',
      receiver: 'erp',
      delivery: { mode: 'push', url: `${partner.url}/attendance`, format: 'raw' },
    });
    expect(out.status).toBe(201);

    const m = await post(
      'Attendance',
      JSON.stringify({
        events: [
          { eventId: 'e1', person: 'ann', hours: 8 },
          { eventId: 'e2', person: 'bo', hours: 4 },
        ],
      }),
    );
    expect(m.status).toBe(202);
    const d = await deliveryOf(m.json.id);
    expect(d).toMatchObject({ mode: 'apply', status: 'delivered' });
    const e1 = await row('Attendance', 'e1');
    expect(e1.status).toBe(200);
    expect(e1.json).toMatchObject({ owner: 'teamogy', version: 1, data: { id: 'e1', who: 'ann', hours: 8 } });
    const sent = await eventually(async () => {
      const got = partner.received.filter((r) => r.url.pathname === '/inbound/attendance');
      return got.length === 2 ? got : undefined;
    });
    expect(sent.map((r) => JSON.parse(r.body.toString()).id).sort()).toEqual(['e1', 'e2']);
    // The sender of the document does not own the rows: to hr they do not exist.
    expect((await row('Attendance', 'e1', 'hr')).status).toBe(404);
  });

  it('takes the document itself without a template, and reads XML as a document', async () => {
    await inbound('Customer');
    const json = await post('Customer', JSON.stringify({ id: 'c-1', name: 'Acme' }));
    expect((await deliveryOf(json.json.id)).status).toBe('delivered');
    expect((await row('Customer', 'c-1')).json.data).toEqual({ id: 'c-1', name: 'Acme' });

    await inbound('Invoice', { inbound: { template: 'invoice' } });
    const xml = await post('Invoice', '<invoice><id>i-1</id><total>5</total></invoice>', 'application/xml');
    expect((await deliveryOf(xml.json.id)).status).toBe('delivered');
    expect((await row('Invoice', 'i-1')).json.data).toEqual({ id: 'i-1', total: '5' });
  });

  it('fails the delivery without retry when a row has no id or belongs to another partner, writing none of its rows', async () => {
    await inbound('Shift', { inbound: { template: 'items' } });
    const noId = await post('Shift', JSON.stringify({ items: [{ id: 's-1' }, { name: 'no id' }] }));
    const d = await deliveryOf(noId.json.id);
    expect(d.status).toBe('failed');
    expect(d.attempts).toHaveLength(1);
    expect(d.error).toMatch(/^item 1: id must be a string.*\(not retryable\)$/);
    expect((await row('Shift', 's-1')).status).toBe(404);

    // hr owns Shift/s-9 itself: the document may not take it over, and s-2 is not written either.
    const own = await hub.partner('PUT', '/v1/entities/Shift/s-9', keys.hr, {
      headers: { 'content-type': 'application/json' },
      body: '{"mine":true}',
    });
    expect(own.status).toBe(201);
    const taken = await post('Shift', JSON.stringify({ items: [{ id: 's-2' }, { id: 's-9' }] }));
    const t = await deliveryOf(taken.json.id);
    expect(t.error).toMatch(/row s-9 of Shift belongs to another partner/);
    expect((await row('Shift', 's-2')).status).toBe(404);
    expect((await row('Shift', 's-9', 'hr')).json.data).toEqual({ mine: true });

    const broken = await post('Shift', '{"items": [', 'application/json');
    expect(broken.status).toBe(202);
    expect((await deliveryOf(broken.json.id)).error).toMatch(/not valid JSON/);
  });

  it('answers 422 when neither an Outbound nor an Inbound integration routes the message', async () => {
    const r = await post('Unrouted', '{"id":"x"}');
    expect(r.status).toBe(422);
    expect(r.json.error.message).toMatch(/No active Outbound or Inbound integration routes/);
  });

  it('refuses Inbound integrations that break its rules, naming the field, and stores none', async () => {
    const before = (await hub.admin('GET', '/admin/integrations')).json.integrations.length;
    const base = {
      name: 'bad inbound',
      direction: 'Inbound',
      entity: 'Thing',
      consentType: 'None',
      receiver: 'teamogy',
    };
    for (const [body, field] of [
      [{ ...base, delivery: { mode: 'push', url: `${partner.url}/x` } }, /^delivery:/],
      [{ ...base, receiver: undefined }, /^receiver is required for Inbound/],
      [{ ...base, entity: '*' }, /^entity:/],
      [{ ...base, inbound: { template: '{"a": ' } }, /^inbound\.template/],
      [
        {
          ...base,
          direction: 'Outbound',
          inbound: { template: 'x' },
          delivery: { mode: 'push', url: `${partner.url}/x` },
        },
        /^inbound is for Inbound/,
      ],
    ] as const) {
      const r = await hub.admin('POST', '/admin/integrations', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error.message).toMatch(field);
    }
    expect((await hub.admin('GET', '/admin/integrations')).json.integrations.length).toBe(before);
  });
});
