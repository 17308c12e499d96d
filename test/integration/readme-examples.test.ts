import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTick } from '../../functions/core/triggers.js';
import { rowAdapters } from '../../functions/deps.js';
import { sendDueTicks } from '../../functions/usecases/continuous.js';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * The README's worked examples of "Entity rows and triggers", run as written there (only the URLs
 * point at a local partner): Teamogy's approved invoice with its reference written back, and
 * FinanceKey's continuous status poll ended by the bank's answer.
 */
describe('the README examples of entity rows and triggers', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let erpDown = false;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    // The continuous example's tick is walked by the test (the hub's own sweep would use the real clock).
    hub = await startTestHub({ withoutSchedules: ['RowSweep'] });
    partner = await startPartner((r, res) => {
      if (r.url.pathname.endsWith('/invoices')) {
        if (erpDown) {
          res.statusCode = 503;
          return res.end('ledger closed for the night');
        }
        res.setHeader('content-type', 'application/xml');
        return res.end('<Receipt><Ref>ERP-77</Ref></Receipt>');
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ state: 'SETTLED' }));
    });
    for (const code of ['teamogy', 'erp', 'financekey', 'bank']) {
      await hub.admin('POST', '/admin/partners', { code, name: code });
      keys[code] = (await hub.admin('POST', `/admin/partners/${code}/keys`, {})).json.key;
    }
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  const put = async (owner: string, path: string, data: unknown, headers: Record<string, string> = {}) => {
    const r = await hub.partner('PUT', path, keys[owner] as string, {
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(data),
    });
    expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
    return r.json as { version: number; queued: string[] };
  };

  it('Teamogy: an APPROVED invoice is pushed as XML through its template, and the ERP reference written back', async () => {
    const created = await hub.admin('POST', '/admin/integrations', {
      name: 'approved invoices',
      direction: 'Outbound',
      entity: 'Invoice',
      consentType: 'None',
      sender: 'teamogy',
      receiver: 'erp',
      filter: 'status = "APPROVED"',
      // A short retry schedule, so the failure below ends within the test (the README uses the default).
      maxAttempts: 2,
      delivery: {
        mode: 'push',
        url: `${partner.url}/invoices`,
        format: 'xml',
        template: '{"Invoice": {"Number": number, "Total": total}}',
        writeBack: 'outcome = "delivered" ? {"erpRef": response.Receipt.Ref} : {"exportError": error}',
        retrySchedule: [0],
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const draft = await put('teamogy', '/v1/entities/Invoice/inv-1', {
      status: 'DRAFT',
      number: '2026-0042',
      total: 10,
    });
    expect(draft).toMatchObject({ version: 1, queued: [] });
    const approved = await put(
      'teamogy',
      '/v1/entities/Invoice/inv-1',
      { status: 'APPROVED', number: '2026-0042', total: 10 },
      { 'if-match': '"1"' },
    );
    expect(approved).toMatchObject({ version: 2, queued: [created.json.id] });

    const row = await eventually(async () => {
      const r = (await hub.partner('GET', '/v1/entities/Invoice/inv-1', keys.teamogy as string)).json;
      return r.version === 3 ? r : undefined;
    });
    expect(row.data).toEqual({ status: 'APPROVED', number: '2026-0042', total: 10, erpRef: 'ERP-77' });
    const [received] = partner.received.filter((r) => r.url.pathname.endsWith('/invoices'));
    expect(received?.body.toString()).toContain(
      '<Invoice><Number>2026-0042</Number><Total>10</Total></Invoice>',
    );
    // Version 3 was made by this integration's write-back: it does not send the invoice again.
    await new Promise((r) => setTimeout(r, 300));
    expect(partner.received.filter((r) => r.url.pathname.endsWith('/invoices'))).toHaveLength(1);

    // The ERP is down for a second invoice: after its last attempt the invoice is marked with the error.
    erpDown = true;
    await put('teamogy', '/v1/entities/Invoice/inv-2', { status: 'APPROVED', number: '2026-0043', total: 5 });
    const failed = await eventually(async () => {
      const r = (await hub.partner('GET', '/v1/entities/Invoice/inv-2', keys.teamogy as string)).json;
      return r.version === 2 ? r : undefined;
    });
    expect(failed.data.exportError).toMatch(/503/);
    expect(failed.deliveries.at(-1)).toMatchObject({ status: 'failed' });
  });

  it('FinanceKey: a continuous status poll re-sends the payment each tick until the bank says SETTLED', async () => {
    const created = await hub.admin('POST', '/admin/integrations', {
      name: 'payment status poll',
      direction: 'Outbound',
      entity: 'PaymentStatus',
      consentType: 'None',
      sender: 'financekey',
      receiver: 'bank',
      includeUpdate: true,
      continuous: true,
      defaultSchedule: 15,
      filter: 'state = "PENDING" and $toMillis(expiresAt) > $millis()',
      delivery: {
        mode: 'push',
        url: `${partner.url}/payments/status`,
        writeBack: 'outcome = "delivered" ? {"state": response.state} : {}',
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const before = Date.now();
    const put1 = await put('financekey', '/v1/entities/PaymentStatus/pay-42', {
      state: 'PENDING',
      expiresAt,
    });
    expect(put1.queued).toEqual([created.json.id]);

    // The change is held to the next quarter hour; the tick after that re-sends the row as it is.
    const reSendAt = nextTick(nextTick(before, 15), 15);
    const run = await sendDueTicks({ ...rowAdapters(), clock: { now: () => reSendAt + 1000 } });
    expect(run).toEqual({ sent: 1, stopped: 0, failed: 0, skipped: 0 });
    const settled = await eventually(async () => {
      const r = (await hub.partner('GET', '/v1/entities/PaymentStatus/pay-42', keys.financekey as string))
        .json;
      return r.data.state === 'SETTLED' ? r : undefined;
    });
    expect(settled.data).toEqual({ state: 'SETTLED', expiresAt });
    // The bank said SETTLED: the filter is false, and the next tick ends the re-sends.
    const next = await sendDueTicks({ ...rowAdapters(), clock: { now: () => reSendAt + 15 * 60_000 } });
    expect(next).toEqual({ sent: 0, stopped: 1, failed: 0, skipped: 0 });
  });
});
