import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../functions/core/clock.js';
import { systemRandom } from '../../functions/core/random.js';
import {
  deliveryQueue,
  enablements,
  entities,
  messages,
  payloads,
  registry,
  rowTicks,
} from '../../functions/deps.js';
import { type EntityPorts, putRow, sweepPendingSends } from '../../functions/usecases/entities.js';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** Contract v2, "Triggers": Outbound integrations send entity rows on their changes. */
describe('triggers: rows sent by Outbound integrations', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let teamogyKey: string;
  let erpKey: string;
  let strangerKey: string;
  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    for (const code of ['teamogy', 'erp', 'stranger'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    teamogyKey = (await hub.admin('POST', '/admin/partners/teamogy/keys', {})).json.key;
    erpKey = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    strangerKey = (await hub.admin('POST', '/admin/partners/stranger/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  const integration = async (entity: string, extra: Record<string, unknown>, path = entity) =>
    (
      await hub.admin('POST', '/admin/integrations', {
        name: `send ${entity} ${JSON.stringify(extra).length}`,
        direction: 'Outbound',
        entity,
        consentType: 'None',
        sender: 'teamogy',
        receiver: 'erp',
        ...extra,
        delivery: {
          mode: 'push',
          url: `${partner.url}/${path}`,
          format: 'raw',
          ...((extra.delivery as object) ?? {}),
        },
      })
    ).json as { id: string };

  const put = async (entity: string, id: string, data: unknown) => {
    const r = await hub.partner('PUT', `/v1/entities/${entity}/${id}`, teamogyKey, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    });
    expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
    return r.json as { version: number; queued: string[] };
  };
  const receivedAt = (path: string) =>
    partner.received
      .filter((r) => r.url.pathname === `/inbound/${path}`)
      .map((r) => JSON.parse(r.body.toString()));

  it('sends a row once, at the first version its filter admits (Teamogy: an invoice becomes APPROVED)', async () => {
    const i = await integration('Invoice', { filter: 'status = "APPROVED"' }, 'once');
    expect((await put('Invoice', 'inv-1', { status: 'DRAFT', total: 5 })).queued).toEqual([]);
    expect((await put('Invoice', 'inv-1', { status: 'APPROVED', total: 5 })).queued).toEqual([i.id]);
    // Identical: nothing. Changed and still eligible: already sent once, so nothing.
    expect((await put('Invoice', 'inv-1', { total: 5, status: 'APPROVED' })).queued).toEqual([]);
    expect((await put('Invoice', 'inv-1', { status: 'APPROVED', total: 6 })).queued).toEqual([]);
    const sent = await eventually(async () =>
      receivedAt('once').length === 1 ? receivedAt('once') : undefined,
    );
    expect(sent[0]).toEqual({ status: 'APPROVED', total: 5 });
    await new Promise((r) => setTimeout(r, 300));
    expect(receivedAt('once')).toHaveLength(1);

    // The row lists the delivery with its outcome; the message carries its source and the
    // counterparty may read the row.
    const row = await eventually(async () => {
      const r = (await hub.partner('GET', '/v1/entities/Invoice/inv-1', teamogyKey)).json;
      return r.deliveries[0]?.status === 'delivered' ? r : undefined;
    });
    expect(row.deliveries).toEqual([
      expect.objectContaining({ integrationId: i.id, version: 2, status: 'delivered', response: 'ok' }),
    ]);
    const message = await hub.admin('GET', `/admin/messages/${row.deliveries[0].messageId}`);
    expect(message.json).toMatchObject({
      sender: 'teamogy',
      receiver: 'erp',
      doctype: 'Invoice',
      source: { entity: 'Invoice', id: 'inv-1', version: 2 },
    });
    expect((await hub.partner('GET', '/v1/entities/Invoice/inv-1', erpKey)).status).toBe(200);
    expect((await hub.partner('GET', '/v1/entities/Invoice/inv-1', strangerKey)).status).toBe(404);
  });

  it('with includeUpdate sends every eligible version, none that the filter refuses, none identical', async () => {
    const i = await integration(
      'Order',
      { filter: 'qty > 0', includeUpdate: true, parallel: false },
      'every',
    );
    expect((await put('Order', 'o-1', { qty: 1 })).queued).toEqual([i.id]);
    expect((await put('Order', 'o-1', { qty: 2 })).queued).toEqual([i.id]);
    expect((await put('Order', 'o-1', { qty: 2 })).queued).toEqual([]);
    expect((await put('Order', 'o-1', { qty: 0 })).queued).toEqual([]);
    expect((await put('Order', 'o-1', { qty: 3 })).queued).toEqual([i.id]);
    const sent = await eventually(async () =>
      receivedAt('every').length === 3 ? receivedAt('every') : undefined,
    );
    // parallel: false delivers in version order.
    expect(sent.map((b) => b.qty)).toEqual([1, 2, 3]);
  });

  it('does not send rows of another owner, another entity, or to an inactive integration', async () => {
    await integration('Ticket', { active: false }, 'inactive');
    expect((await put('Ticket', 't-1', { a: 1 })).queued).toEqual([]);
    const other = await hub.partner('PUT', '/v1/entities/Invoice/erp-own', erpKey, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'APPROVED' }),
    });
    expect(other.json.queued).toEqual([]);
  });

  it('a row deleted and written again (by another partner) sends anew, and the first send stays its owner’s', async () => {
    await integration('Receipt', { receiver: 'erp', sender: null }, 'again');
    const first = await put('Receipt', 'r-1', { n: 'first' });
    expect(first.queued).toHaveLength(1);
    await eventually(async () => (receivedAt('again').length === 1 ? true : undefined));
    const [firstSend] = (await hub.partner('GET', '/v1/entities/Receipt/r-1', teamogyKey)).json.deliveries;
    expect((await hub.partner('DELETE', '/v1/entities/Receipt/r-1', teamogyKey)).status).toBe(204);
    // Another partner writes a row of the same name: version 1 again, a message of its own.
    const again = await hub.partner('PUT', '/v1/entities/Receipt/r-1', strangerKey, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 'second' }),
    });
    expect(again.status).toBe(201);
    expect(again.json.version).toBe(1);
    await eventually(async () => (receivedAt('again').length === 2 ? true : undefined));
    expect(receivedAt('again')).toEqual([{ n: 'first' }, { n: 'second' }]);
    const [secondSend] = (await hub.partner('GET', '/v1/entities/Receipt/r-1', strangerKey)).json.deliveries;
    expect(secondSend.messageId).not.toBe(firstSend.messageId);
    // The first message is still the first writer's: theirs to read, a 404 to the second.
    expect((await hub.partner('GET', `/v1/messages/${firstSend.messageId}`, teamogyKey)).status).toBe(200);
    expect((await hub.partner('GET', `/v1/messages/${firstSend.messageId}`, strangerKey)).status).toBe(404);
  });

  it('a notify for a row names the row and links to it', async () => {
    await integration('Shipment', { delivery: { mode: 'notify', url: `${partner.url}/notify` } }, 'notify');
    await put('Shipment', 's-1', { carrier: 'DHL' });
    const [notice] = await eventually(async () =>
      receivedAt('notify').length ? receivedAt('notify') : undefined,
    );
    expect(notice.entity).toEqual({ name: 'Shipment', id: 's-1', version: 1 });
    expect(notice.links.entity).toMatch(/\/v1\/entities\/Shipment\/s-1$/);
    const read = await fetch(notice.links.entity.replace(/^.*\/v1\//, `${hub.url}/v1/`), {
      headers: { 'x-api-key': erpKey },
    });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { data: unknown }).data).toEqual({ carrier: 'DHL' });
  });

  it('never leaves a stored change unsent: a crash before its sends are queued is swept, and sent once', async () => {
    const i = await integration('Payroll', {}, 'crash');
    const ports: EntityPorts = {
      rows: entities(),
      ticks: rowTicks(),
      random: systemRandom,
      registry: registry(),
      enablements: enablements(),
      messages: messages(),
      payloads: payloads(),
      clock: systemClock,
      // The writer dies after storing the version, before its sends reach the queue.
      queue: {
        enqueue: async () => {
          throw new Error('process killed');
        },
      } as unknown as EntityPorts['queue'],
    };
    const r = await putRow(ports, 'teamogy', { entity: 'Payroll', id: 'p-1', data: { amount: 100 } });
    expect(r.queued).toEqual([i.id]);
    const stranded = await hub.partner('GET', '/v1/entities/Payroll/p-1', teamogyKey);
    expect(stranded.json.deliveries).toEqual([]);
    await new Promise((res) => setTimeout(res, 300));
    expect(receivedAt('crash')).toHaveLength(0);

    // A sweep leaves a write alone while its writer may still be handing it on; a minute later it takes it.
    expect(await sweepPendingSends({ ...ports, queue: deliveryQueue() })).toBe(0);
    const live = { ...ports, queue: deliveryQueue(), clock: { now: () => Date.now() + 60_000 } };
    expect(await sweepPendingSends(live)).toBe(1);
    expect(await sweepPendingSends(live)).toBe(0);
    const sent = await eventually(async () => (receivedAt('crash').length ? receivedAt('crash') : undefined));
    expect(sent).toEqual([{ amount: 100 }]);
    const settled = (await hub.partner('GET', '/v1/entities/Payroll/p-1', teamogyKey)).json;
    expect(settled.deliveries).toEqual([expect.objectContaining({ integrationId: i.id, version: 1 })]);

    // Stored but not queued (a crash between the two): the sweep queues the same message, not a new one.
    // The process dies before it can take the stored message back: the message stays, unqueued.
    const store = messages();
    const dying = Object.assign(Object.create(store), {
      remove: async () => {
        throw new Error('process killed');
      },
    }) as typeof store;
    const half = await putRow({ ...ports, messages: dying }, 'teamogy', {
      entity: 'Payroll',
      id: 'p-2',
      data: { amount: 7 },
    });
    const [owed] = (await entities().get('Payroll', 'p-2'))?.pending ?? [];
    expect(owed).toEqual({ integrationId: i.id, version: 1 });
    const row2 = (await hub.partner('GET', '/v1/entities/Payroll/p-2', teamogyKey)).json;
    expect(row2.deliveries).toEqual([]);
    expect(half.queued).toEqual([i.id]);
    expect(await sweepPendingSends(live)).toBe(1);
    await eventually(async () => (receivedAt('crash').length === 2 ? true : undefined));
    await new Promise((res) => setTimeout(res, 500));
    expect(receivedAt('crash').map((b) => b.amount)).toEqual([100, 7]);
  });
});
