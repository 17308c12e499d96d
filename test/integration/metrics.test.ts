import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureEmf } from '../support/emf.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * The contract's metrics as the real handlers emit them on the local hub (EMF lines on stdout,
 * turned on for this file): a message accepted over HTTP and delivered to a real partner server, a
 * delivery that fails, one left retrying (the age the alarm watches), and sync packets converted and
 * refused by the packet worker.
 */
describe('metrics emitted by the handlers', () => {
  let hub: TestHub;
  let key: string;
  let emf: ReturnType<typeof captureEmf>;
  const partner = { ok: undefined, refusing: undefined, down: undefined } as Record<
    'ok' | 'refusing' | 'down',
    Awaited<ReturnType<typeof startPartner>> | undefined
  >;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    emf = captureEmf();
    hub = await startTestHub();
    partner.ok = await startPartner();
    partner.refusing = await startPartner((_r, res) => {
      res.statusCode = 400;
      res.end('no such order type');
    });
    partner.down = await startPartner((_r, res) => {
      res.statusCode = 503;
      res.end('maintenance');
    });
    for (const code of ['erp', 'wms', 'tpl', 'acct', 'DMDEV01'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    await hub.admin('POST', '/admin/integrations', outboundIntegration('metrics ok', 'wms', partner.ok.url));
    await hub.admin('POST', '/admin/integrations', {
      ...outboundIntegration('metrics refused', 'tpl', partner.refusing.url),
      maxAttempts: 1,
    });
    await hub.admin('POST', '/admin/integrations', {
      ...outboundIntegration('metrics retrying', 'acct', partner.down.url, {
        delivery: { retrySchedule: [3600] },
      }),
      maxAttempts: 2,
    });
  });
  afterAll(async () => {
    emf?.stop();
    for (const p of Object.values(partner)) await p?.stop();
    await hub?.stop();
  });
  beforeEach(() => emf.clear());

  const send = (receiver: string) =>
    hub.partner('POST', `/v1/messages?sender=erp&receiver=${receiver}&doctype=order&version=1`, key, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderNo: `o-${receiver}` }),
    });
  const until = (check: () => boolean, what: string) =>
    eventually(async () => (check() ? true : undefined), 20_000, what);

  it('reports 0 for the oldest undelivered delivery while nothing is retrying or held', async () => {
    await until(() => emf.values('OldestUndeliveredAgeMs').length > 0, 'a RowSweep run');
    expect(emf.values('OldestUndeliveredAgeMs').every((v) => v === 0)).toBe(true);
    expect(emf.linesWith('OldestUndeliveredAgeMs')[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Crossdock', Dimensions: [['stage']] }] },
      stage: 'local',
    });
  });

  it('counts an accepted message, its delivery, the attempt’s latency and the delivery’s age', async () => {
    const before = partner.ok?.received.length ?? 0;
    const accepted = await send('wms');
    expect(accepted.status).toBe(202);
    await until(() => emf.sum('DeliveriesDelivered') > 0, 'the delivery’s metrics');
    expect(partner.ok?.received.length).toBe(before + 1);
    expect(emf.sum('MessagesAccepted')).toBe(1);
    expect(emf.sum('DeliveriesDelivered')).toBe(1);
    expect(emf.sum('DeliveriesFailed')).toBe(0);
    expect(emf.values('AttemptLatencyMs')).toHaveLength(1);
    expect(emf.values('DeliveryAgeMs')).toHaveLength(1);
    const age = emf.values('DeliveryAgeMs')[0] ?? -1;
    const latency = emf.values('AttemptLatencyMs')[0] ?? -1;
    expect(latency).toBeGreaterThanOrEqual(0);
    // The age runs from acceptance to delivery, so it includes the attempt.
    expect(age).toBeGreaterThanOrEqual(latency);
    // Every line: namespace Crossdock, the one dimension stage (the function's STAGE), units declared.
    for (const name of ['MessagesAccepted', 'DeliveriesDelivered', 'AttemptLatencyMs', 'DeliveryAgeMs']) {
      for (const line of emf.linesWith(name)) {
        expect(line.stage).toBe('local');
        expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe('Crossdock');
        expect(line._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['stage']]);
        expect(line._aws.CloudWatchMetrics[0]?.Metrics).toContainEqual({
          Name: name,
          Unit: name.endsWith('Ms') ? 'Milliseconds' : 'Count',
        });
      }
    }
  });

  it('counts a delivery that fails, with its attempt’s latency and no delivery age', async () => {
    expect((await send('tpl')).status).toBe(202);
    await until(() => emf.sum('DeliveriesFailed') > 0, 'the failed delivery’s metrics');
    expect(partner.refusing?.received).toHaveLength(1);
    expect(emf.sum('MessagesAccepted')).toBe(1);
    expect(emf.sum('DeliveriesFailed')).toBe(1);
    expect(emf.sum('DeliveriesDelivered')).toBe(0);
    expect(emf.values('AttemptLatencyMs')).toHaveLength(1);
    expect(emf.values('DeliveryAgeMs')).toHaveLength(0);
  });

  it('ages a retrying delivery in OldestUndeliveredAgeMs, which ends neither delivered nor failed', async () => {
    expect((await send('acct')).status).toBe(202);
    await until(() => (partner.down?.received.length ?? 0) > 0, 'the first attempt');
    const stats = await eventually(async () => {
      const s = (await hub.admin('GET', '/admin/stats')).json;
      return s.retrying > 0 ? s : undefined;
    });
    expect(stats.oldestUndeliveredAt).toEqual(expect.any(String));
    await until(() => emf.values('OldestUndeliveredAgeMs').some((v) => v > 0), 'the age of the retrying one');
    expect(emf.sum('DeliveriesDelivered') + emf.sum('DeliveriesFailed')).toBe(0);
    expect(emf.values('AttemptLatencyMs')).toHaveLength(1);
  });

  it('counts packets converted and packets refused in the packet worker', async () => {
    const erpKey = (await hub.admin('POST', '/admin/partners/DMDEV01/keys', { scopes: ['erp'] })).json.key;
    const push = async (uid: string, body: Buffer) => {
      const pushed = await hub.partner(
        'GET',
        `/mobile/erp/push/DMDEV01/user1?packetUniqueId=${uid}&size=${body.length}&packetType=xml`,
        erpKey,
      );
      expect(pushed.status).toBe(200);
      expect((await fetch(pushed.json.uploadPath, { method: 'PUT', body })).status).toBe(200);
    };
    await push(
      'metrics-good',
      Buffer.from(
        '<?xml version="1.0" encoding="utf-8"?>\n<NavMobileSync salesmancode="user1"><table tablename="Customers"><r status="insert"><DMS_ROWID>m1</DMS_ROWID><No>1</No></r></table></NavMobileSync>\n',
      ),
    );
    await push(
      'metrics-bad',
      Buffer.from('<NavMobileSync salesmancode="user1"><table tablename="T"><r><DMS_ROWID>1'),
    );
    await until(
      () => emf.sum('PacketsConverted') + emf.sum('PacketsFailed') >= 2,
      'both packets to be settled',
    );
    expect(emf.sum('PacketsConverted')).toBe(1);
    expect(emf.sum('PacketsFailed')).toBe(1);
    for (const line of emf.linesWith('PacketsConverted')) expect(line.stage).toBe('local');
  });
});
