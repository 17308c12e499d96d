import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryRepository } from '../../functions/adapters/registry.js';
import { MAX_REASON_CHARS } from '../../functions/core/reason.js';
import { registryTable } from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * What one hostile partner or one bad expression could do to the hub: input that made a check
 * quadratic, reasons that grew with the input, and operator expressions that never ended. In each
 * case the hub answers, records a bounded reason, and then still delivers a good message.
 */
describe('hostile input', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let senderKey: string;
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    await hub.admin('POST', '/admin/partners', { code: 'src', name: 'source' });
    senderKey = (await hub.admin('POST', '/admin/partners/src/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  /** A fresh receiver with the given integrations (each `extra` one integration). */
  async function receiver(...extras: Record<string, unknown>[]) {
    const code = `hostile${++n}`;
    await hub.admin('POST', '/admin/partners', { code, name: code });
    for (const [i, extra] of extras.entries()) {
      const created = await hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration(`hostile ${code} ${i}`, code, partner.url.replace('/inbound', `/${code}`), extra),
      );
      expect(created.status, JSON.stringify(created.json)).toBe(201);
    }
    return code;
  }
  const post = (code: string, body: string | Buffer, contentType = 'application/json') =>
    hub.partner('POST', `/v1/messages?sender=src&receiver=${code}&doctype=order`, senderKey, {
      body,
      headers: { 'content-type': contentType },
    });
  const settled = (id: string) =>
    eventually(
      async () => {
        const r = await hub.admin('GET', `/admin/messages/${id}`);
        return ['delivered', 'failed'].includes(r.json.status) ? r.json : undefined;
      },
      30_000,
      `message ${id} to settle`,
    );
  /** The hub is healthy and still delivers a good message to this receiver. */
  async function stillDelivers(code: string) {
    expect((await hub.partner('GET', '/health', undefined)).status).toBe(200);
    const good = await post(code, '{"order":1,"qty":"2","name":"ok"}');
    expect(good.status).toBe(202);
    expect((await settled(good.json.id)).status).toBe('delivered');
  }

  describe('XML checks are linear and their reasons bounded', () => {
    it('refuses 1 MiB of "<a" (quadratic for a look-ahead regex) at once, and stays healthy', async () => {
      const code = await receiver({ filter: 'order = 1' });
      const r = await post(code, '<a'.repeat(512 * 1024), 'application/xml');
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('invalid_document');
      await stillDelivers(code);
    });

    it('refuses a 300,000-character tag name before the parser sees it', async () => {
      const code = await receiver({ filter: 'order = 1' });
      const r = await post(code, `<${'a'.repeat(300_000)}>1</b>`, 'application/xml');
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/names longer than 1024/);
      await stillDelivers(code);
    });

    it('answers a parser message quoting a 300,000-character attribute, capped, on the filter path', async () => {
      const code = await receiver({ filter: 'order = 1' });
      const r = await post(code, `<a ${'b'.repeat(300_000)}>1</a>`, 'application/xml');
      expect(r.status).toBe(400);
      expect(r.raw.length).toBeLessThan(MAX_REASON_CHARS + 200);
      expect(r.json.error.message).toMatch(/not valid XML/);
      await stillDelivers(code);
    });

    it('records a parser message quoting a 300,000-character attribute, capped, and fails the delivery (never pending)', async () => {
      const code = await receiver({ delivery: { format: 'json' } });
      const r = await post(code, `<a ${'b'.repeat(300_000)}>1</a>`, 'application/xml');
      expect(r.status).toBe(202);
      const m = await settled(r.json.id);
      expect(m.status).toBe('failed');
      const [d] = m.deliveries;
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0].error).toMatch(/could not be rendered/);
      expect(d.attempts[0].error.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
      expect(d.error.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
      await stillDelivers(code);
    });
  });

  describe('operator expressions run under a budget', () => {
    const endless = '( $f := function($n){ $f($n+1) }; $f(0) )';

    it('counts a filter that never ends as false, and the hub answers meanwhile', async () => {
      const code = await receiver({ filter: endless });
      const stalled = post(code, '{"order":1}');
      // While the filter runs, other requests are served: the evaluation is not on the hub's thread.
      expect((await hub.partner('GET', '/health', undefined)).status).toBe(200);
      const r = await stalled;
      expect(r.status).toBe(422);
      expect(r.json.error.code).toBe('no_route');
    });

    it.each([
      ['a catastrophic regular expression', '$contains(name, /^(a+)+$/)'],
      ['a sum over three million items', '$sum([1..3000000].($ * 2)) > 0'],
      ['a sort that would exhaust the heap', '$count($sort([1..1000000])) > 0'],
      ['non-tail recursion', '( $f := function($n){ 1 + $f($n+1) }; $f(0) ) > 0'],
      ['a throw on the partner’s data', '$number(qty) > 1'],
    ])(
      'counts %s as false for that document: the other integration still routes it',
      async (_name, filter) => {
        const code = await receiver({ filter }, {});
        const r = await post(code, `{"order":1,"qty":"abc","name":"${'a'.repeat(40)}!"}`);
        expect(r.status).toBe(202);
        const m = await settled(r.json.id);
        expect(m.deliveries).toHaveLength(1);
        expect(m.status).toBe('delivered');
        await stillDelivers(code);
      },
    );

    it('fails a delivery whose template never ends at its first attempt, with the reason, without retry', async () => {
      const code = await receiver({ delivery: { format: 'json', template: endless } });
      const r = await post(code, '{"order":1}');
      const m = await settled(r.json.id);
      expect(m.status).toBe('failed');
      const [d] = m.deliveries;
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0].error).toMatch(/longer than 1000 ms/);
      expect(d.error).toMatch(/not retryable/);
    });

    it('fails a template with a catastrophic regular expression the same way', async () => {
      const code = await receiver({
        delivery: { format: 'json', template: '{"ok": $contains(name, /^(a+)+$/)}' },
      });
      const r = await post(code, `{"name":"${'a'.repeat(40)}!"}`);
      const m = await settled(r.json.id);
      expect(m.status).toBe('failed');
      expect(m.deliveries[0].attempts).toHaveLength(1);
      expect(m.deliveries[0].attempts[0].error).toMatch(/stopped/);
    });
  });

  describe('a deterministic failure inside an attempt never loops', () => {
    it('records a header Node refuses to send (stored before registration checked it) and fails the delivery', async () => {
      const code = await receiver({});
      // An integration written before headers were checked at registration: Node refuses the value
      // (ERR_INVALID_CHAR) when the attempt is made, which used to escape to the queue again and again.
      const registry = new RegistryRepository(process.env[registryTable.envVar] as string);
      const [integration] = await registry.integrationsForReceiver(code);
      if (!integration?.delivery) throw new Error('the integration was not created');
      await registry.replaceIntegration(integration, {
        ...integration,
        delivery: { ...integration.delivery, headers: { 'X-Tag': 'a\r\nX-Evil: 1' } },
      });
      // No message has reached this integration yet, so no worker holds it in its cache.
      const r = await post(code, '{"order":1}');
      expect(r.status).toBe(202);
      const m = await settled(r.json.id);
      expect(m.status).toBe('failed');
      const [d] = m.deliveries;
      expect(d.attempts).toHaveLength(1);
      expect(d.attempts[0].error).toMatch(/could not be made/);
      expect(d.error).toMatch(/not retryable/);
    });
  });
});
