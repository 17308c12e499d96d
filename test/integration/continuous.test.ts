import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTick } from '../../functions/core/triggers.js';
import { messages, rowAdapters } from '../../functions/deps.js';
import { sendDueTicks } from '../../functions/usecases/continuous.js';
import { deleteRow, type EntityPorts, putRow } from '../../functions/usecases/entities.js';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * Contract v2, "Triggers" (`continuous`) and "Schedules": a still-eligible row is sent again at each
 * tick until its filter turns false or it is deleted; a scheduled pull delivery waits for its tick.
 * Ticks are walked with a fake clock set in the past, so the sends it holds are due at once for the
 * delivery worker, which runs on the real one.
 */
describe('continuous integrations and scheduled pulls', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let erpKey: string;
  let wmsKey: string;
  // Midnight UTC the day before yesterday: every time the test walks is in the past, yet within the
  // log's retention, and the row sweep's sends it makes are due at once for the delivery worker.
  const day0 = nextTick(Date.now(), 1440) - 2 * 86_400_000;
  const clock = { at: day0, now: () => clock.at };
  let ports: EntityPorts;

  beforeAll(async () => {
    // The test walks the row sweep's clock itself (the hub's own run would send on the real one).
    hub = await startTestHub({ withoutSchedules: ['RowSweep'] });
    partner = await startPartner((r, res) => {
      // The bank's status endpoint for the health case refuses everything (a non-retryable 400).
      if (r.url.pathname.endsWith('/down')) res.statusCode = 400;
      res.end('ok');
    });
    for (const code of ['fk', 'bank', 'erp', 'wms'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    erpKey = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    wmsKey = (await hub.admin('POST', '/admin/partners/wms/keys', {})).json.key;
    ports = { ...rowAdapters(), clock };
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  /** Walks the clock to `hh:mm[:ss]` UTC of day `d` (0: the first day the test walks). */
  const time = (hhmm: string, d = 0) => {
    const [h = 0, m = 0, sec = 0] = hhmm.split(':').map(Number);
    return day0 + d * 86_400_000 + ((h * 60 + m) * 60 + sec) * 1000;
  };
  const at = (hhmm: string, d = 0) => {
    clock.at = time(hhmm, d);
  };
  const received = (path: string) =>
    partner.received
      .filter((r) => r.url.pathname === `/inbound/${path}`)
      .map((r) => ({ body: JSON.parse(r.body.toString()), id: r.headers['webhook-id'] }));
  const continuous = async (name: string, path: string, entity = 'PaymentStatus') => {
    const r = await hub.admin('POST', '/admin/integrations', {
      name,
      direction: 'Outbound',
      entity,
      consentType: 'None',
      sender: 'fk',
      receiver: 'bank',
      filter: 'state = "PENDING"',
      includeUpdate: true,
      continuous: true,
      defaultSchedule: 15,
      delivery: { mode: 'push', url: `${partner.url}/${path}`, format: 'raw' },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json as { id: string };
  };

  it('re-sends a still-eligible row at each tick, once per late run, and stops when its filter turns false', async () => {
    const i = await continuous('status poll', 'poll');
    at('00:01');
    const put = await putRow(ports, 'fk', {
      entity: 'PaymentStatus',
      id: 'pay-1',
      data: { state: 'PENDING' },
    });
    expect(put.queued).toEqual([i.id]);
    // The change itself is held to the next tick, 00:15.
    const [change] = (await ports.rows.get('PaymentStatus', 'pay-1'))?.deliveries ?? [];
    const held = (await hub.admin('GET', `/admin/messages/${change?.messageId}`)).json.deliveries[0];
    expect(held).toMatchObject({ status: 'queued', nextAttemptAt: new Date(time('00:15')).toISOString() });

    // Its re-send is due at the tick after the one the change was held to: never two at 00:15.
    at('00:29:59');
    expect(await sendDueTicks(ports)).toEqual({ sent: 0, stopped: 0, failed: 0, skipped: 0 });
    at('00:30');
    expect(await sendDueTicks(ports)).toEqual({ sent: 1, stopped: 0, failed: 0, skipped: 0 });
    expect(await sendDueTicks(ports)).toEqual({ sent: 0, stopped: 0, failed: 0, skipped: 0 });
    await eventually(async () => (received('poll').length === 1 ? true : undefined));

    // Two hours late: one send, then the next tick from now (not one per missed tick).
    at('02:31');
    expect((await sendDueTicks(ports)).sent).toBe(1);
    at('02:44:59');
    expect((await sendDueTicks(ports)).sent).toBe(0);
    at('02:45');
    expect((await sendDueTicks(ports)).sent).toBe(1);
    await eventually(async () => (received('poll').length === 3 ? true : undefined));
    const sent = received('poll');
    expect(sent.map((s) => s.body)).toEqual(Array(3).fill({ state: 'PENDING' }));
    // Each send is its own message (not held again: it is the tick), in the log with the row as its source.
    expect(new Set(sent.map((s) => s.id)).size).toBe(3);
    const log = (
      await hub.admin('GET', `/admin/messages?sender=fk&since=${new Date(day0).toISOString()}&limit=100`)
    ).json.messages;
    expect(log.filter((m: { source?: { id: string } }) => m.source?.id === 'pay-1')).toHaveLength(4);

    // The filter turns false: the update is not sent, and the next tick ends the re-sends.
    at('02:50');
    expect(
      (await putRow(ports, 'fk', { entity: 'PaymentStatus', id: 'pay-1', data: { state: 'PAID' } })).queued,
    ).toEqual([]);
    at('03:00');
    expect(await sendDueTicks(ports)).toEqual({ sent: 0, stopped: 1, failed: 0, skipped: 0 });
    at('05:00');
    expect(await sendDueTicks(ports)).toEqual({ sent: 0, stopped: 0, failed: 0, skipped: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(received('poll')).toHaveLength(3);
  });

  it('stops re-sending a deleted row, and a crash between a send and its next tick sends it once', async () => {
    await continuous('status poll 2', 'poll2', 'RefundStatus');
    at('00:01', 1);
    await putRow(ports, 'fk', { entity: 'RefundStatus', id: 'pay-2', data: { state: 'PENDING' } });

    // The run dies after sending, before moving the tick on: the next run names the same message.
    at('00:30', 1);
    const dying: EntityPorts = {
      ...ports,
      ticks: Object.assign(Object.create(ports.ticks), {
        advance: async () => {
          throw new Error('process killed');
        },
      }),
    };
    expect(await sendDueTicks(dying)).toEqual({ sent: 0, stopped: 0, failed: 1, skipped: 0 });
    expect(await sendDueTicks(ports)).toEqual({ sent: 1, stopped: 0, failed: 0, skipped: 0 });
    await eventually(async () => (received('poll2').length === 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    expect(received('poll2')).toHaveLength(1);

    await deleteRow(ports, 'fk', 'RefundStatus', 'pay-2');
    at('00:45', 1);
    expect(await sendDueTicks(ports)).toEqual({ sent: 0, stopped: 1, failed: 0, skipped: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect(received('poll2')).toHaveLength(1);
  });

  it('skips the re-sends of an integration disabled for failing, and sends again once it is enabled', async () => {
    const i = await continuous('status poll 3', 'down', 'ChequeStatus');
    await hub.admin('PATCH', `/admin/integrations/${i.id}`, { autoDisableAfterHours: 0 });
    at('00:01', 2);
    await putRow(ports, 'fk', { entity: 'ChequeStatus', id: 'chq-1', data: { state: 'PENDING' } });
    // The first re-send fails for good (400): with autoDisableAfterHours 0 that disables the integration.
    at('00:30', 2);
    expect((await sendDueTicks(ports)).sent).toBe(1);
    await eventually(async () => {
      const shown = (await hub.admin('GET', `/admin/integrations/${i.id}`)).json;
      return shown.health === 'disabled' ? shown : undefined;
    });
    // Disabled: the due row is not sent (it would only be held, one more each tick); its tick moves on.
    at('00:45', 2);
    expect(await sendDueTicks(ports)).toEqual({ sent: 0, stopped: 0, failed: 0, skipped: 1 });
    at('01:00', 2);
    expect(await sendDueTicks(ports)).toEqual({ sent: 0, stopped: 0, failed: 0, skipped: 1 });
    expect(received('down')).toHaveLength(1);
    expect((await hub.admin('POST', `/admin/integrations/${i.id}/enable`)).status).toBe(200);
    at('01:15', 2);
    expect(await sendDueTicks(ports)).toEqual({ sent: 1, stopped: 0, failed: 0, skipped: 0 });
    await eventually(async () => (received('down').length === 2 ? true : undefined));
  });

  it('refuses continuous without a schedule, and writes nothing', async () => {
    const before = (await hub.admin('GET', '/admin/integrations')).json.integrations.length;
    const r = await hub.admin('POST', '/admin/integrations', {
      name: 'no schedule',
      direction: 'Outbound',
      entity: 'PaymentStatus',
      consentType: 'None',
      receiver: 'bank',
      includeUpdate: true,
      continuous: true,
      delivery: { mode: 'push', url: `${partner.url}/x`, format: 'raw' },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/continuous needs a defaultSchedule/);
    expect((await hub.admin('GET', '/admin/integrations')).json.integrations).toHaveLength(before);
  });

  it('keeps a scheduled pull delivery out of the inbox until its tick', async () => {
    const created = await hub.admin('POST', '/admin/integrations', {
      name: 'hourly pull',
      direction: 'Outbound',
      entity: 'Manifest',
      consentType: 'None',
      sender: 'erp',
      receiver: 'wms',
      defaultSchedule: 60,
      delivery: { mode: 'pull' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const before = Date.now();
    const posted = await hub.partner(
      'POST',
      '/v1/messages?sender=erp&receiver=wms&doctype=Manifest&version=1',
      erpKey,
      { headers: { 'content-type': 'application/json' }, body: '{"n":1}' },
    );
    expect(posted.status).toBe(202);
    const after = Date.now();
    const shown = (await hub.admin('GET', `/admin/messages/${posted.json.id}`)).json.deliveries[0];
    expect([nextTick(before, 60), nextTick(after, 60)].map((t) => new Date(t).toISOString())).toContain(
      shown.nextAttemptAt,
    );
    // The receiver polls now: nothing is available yet.
    const inbox = await hub.partner('GET', '/v1/inbox', wmsKey);
    expect(inbox.status).toBe(200);
    expect(JSON.stringify(inbox.json)).not.toContain(posted.json.id);
    // At the tick it is there (the inbox's store read at that time).
    const tick = Date.parse(shown.nextAttemptAt);
    expect(await messages().leaseInbox('wms', 10, tick - 1000, 30)).toEqual([]);
    const leased = await messages().leaseInbox('wms', 10, tick, 30);
    expect(leased.map((l) => l.messageId)).toEqual([posted.json.id]);
  });
});
