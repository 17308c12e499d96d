import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

// Before any module of the hub is loaded: the logger reads its settings once, when it is made. The
// most there is: DEBUG, and Powertools' own switch for logging each invocation's event.
const before = vi.hoisted(() => {
  const was = {
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL,
    POWERTOOLS_LOGGER_LOG_EVENT: process.env.POWERTOOLS_LOGGER_LOG_EVENT,
  };
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
  return was;
});

/**
 * "Secrets are shown once, when created, and never logged" (shared/API.md): every line the hub writes
 * (the Powertools logger's JSON on stdout, the local hub's own lines on stderr, anything through
 * console) is captured at DEBUG while a representative run goes through every face, and no admin
 * key, API key, password, token, receipt handle, upload signature or signing secret used in the run
 * may appear in it.
 */
describe('secrets never leak into the logs', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let refusing: Awaited<ReturnType<typeof startPartner>>;
  const captured: string[] = [];
  const restore: (() => void)[] = [];
  /** Every secret the run used, by what it is. */
  const secrets = new Map<string, string>();
  const keep = (what: string, value: unknown) => {
    expect(typeof value === 'string' && value.length >= 8, `${what}: ${String(value)}`).toBe(true);
    secrets.set(value as string, what);
    return value as string;
  };

  /** Tees every write to stdout and stderr, and every console call, into `captured`. */
  function capture() {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        captured.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
        return (write as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => {
        stream.write = write;
      });
    }
    for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[name];
      console[name] = (...args: unknown[]) => {
        captured.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
        original.apply(console, args);
      };
      restore.push(() => {
        console[name] = original;
      });
    }
  }

  const JSON_3PL = { 'content-type': 'application/json; charset=utf-8' };
  const json = { 'content-type': 'application/json' };
  const basic = (user: string, password: string) =>
    keep('a Basic authorization', `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
  const ok = async (p: Promise<{ status: number; json: any; raw: Buffer }>) => {
    const r = await p;
    expect(r.status, r.raw.toString()).toBeLessThan(300);
    return r;
  };

  beforeAll(async () => {
    capture();
    hub = await startTestHub();
    keep('the admin key', hub.adminKey);
    partner = await startPartner();
    refusing = await startPartner((_r, res: ServerResponse) => {
      res.statusCode = 500;
      res.end('down');
    });
  });
  afterAll(async () => {
    for (const undo of restore.reverse()) undo();
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await partner?.stop();
    await refusing?.stop();
    await hub?.stop();
  });

  it('runs every face at DEBUG, and no secret it used is in any line the hub wrote', async () => {
    // ---- The operator: partners, keys, integrations with signing secrets, 3PL credentials ----
    for (const code of ['shop', 'wms', 'tpl', 'area1'])
      await ok(hub.admin('POST', '/admin/partners', { code, name: code }));
    const newKey = async (code: string, body: unknown) =>
      keep(
        `an API key of ${code}`,
        (await ok(hub.admin('POST', `/admin/partners/${code}/keys`, body))).json.key,
      );
    const shopKey = await newKey('shop', {});
    const wmsKey = await newKey('wms', {});
    const erpKey = await newKey('area1', { scopes: ['erp'] });
    const deviceKey = await newKey('area1', { scopes: ['device'], mobileUser: 'user1' });
    const revoked = (await ok(hub.admin('POST', '/admin/partners/shop/keys', {}))).json;
    keep('a revoked API key', revoked.key);
    await ok(hub.admin('DELETE', `/admin/partners/shop/keys/${revoked.id}`));

    const partnerToken = keep('a token the hub sends to a partner', `partner-bearer-${randomUUID()}`);
    const push = await ok(
      hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration('orders to wms', 'wms', partner.url, {
          sender: 'shop',
          delivery: { headers: { authorization: `Bearer ${partnerToken}` } },
        }),
      ),
    );
    keep('a signing secret', push.json.secret);
    const rotated = await ok(hub.admin('POST', `/admin/integrations/${push.json.id}/rotate-secret`, {}));
    keep('a rotated signing secret', rotated.json.secret);
    const failing = await ok(
      hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration('failing', 'wms', refusing.url, {
          entity: 'invoice-doc',
          sender: 'shop',
          maxAttempts: 1,
        }),
      ),
    );
    keep('a signing secret', failing.json.secret);
    const pull = await ok(
      hub.admin('POST', '/admin/integrations', {
        name: 'wms pulls',
        direction: 'Outbound',
        entity: 'pulled',
        consentType: 'None',
        receiver: 'wms',
        delivery: { mode: 'pull' },
      }),
    );
    keep('a signing secret', pull.json.secret);
    const managed = await ok(
      hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration('managed', 'wms', partner.url, {
          entity: 'managed-doc',
          consentType: 'Receiver',
          managed: true,
        }),
      ),
    );
    keep('a signing secret', managed.json.secret);
    const lines = await ok(
      hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration('3PL lines', 'wms', partner.url, { entity: 'replication', sender: 'tpl' }),
      ),
    );
    keep('a signing secret', lines.json.secret);
    const password = keep('a 3PL password', `tpl-password-${randomUUID()}`);
    await ok(hub.admin('PUT', '/admin/partners/tpl/credentials', { username: 'tpl-user', password }));

    // ---- Messages: accepted (key in the header and in the query), pushed signed, one failing ----
    const accepted = await ok(
      hub.partner('POST', '/v1/messages?sender=shop&receiver=wms&doctype=order', shopKey, {
        body: '{"n":1}',
      }),
    );
    await ok(
      hub.partner(
        'POST',
        `/v1/messages?sender=shop&receiver=wms&doctype=order&apikey=${shopKey}`,
        undefined,
        {
          body: '{"n":2}',
        },
      ),
    );
    const failed = await ok(
      hub.partner('POST', '/v1/messages?sender=shop&receiver=wms&doctype=invoice-doc', shopKey, {
        body: '{}',
      }),
    );
    // Refused: a revoked key, a key in the query that is not the sender's, a wrong admin key.
    expect(
      (await hub.partner('POST', '/v1/messages?sender=shop&receiver=wms', revoked.key, { body: '{}' }))
        .status,
    ).toBe(403);
    expect(
      (
        await hub.partner('POST', `/v1/messages?sender=shop&receiver=wms&apikey=${wmsKey}`, undefined, {
          body: '{}',
        })
      ).status,
    ).toBe(403);
    const wrongAdmin = keep('a wrong admin key', `cda_${randomUUID()}`);
    expect(
      (
        await hub.partner('GET', '/admin/partners', undefined, {
          headers: { authorization: `Bearer ${wrongAdmin}` },
        })
      ).status,
    ).toBe(401);
    await eventually(async () => {
      const m = (await hub.partner('GET', `/v1/messages/${accepted.json.id}`, shopKey)).json;
      return m.status === 'delivered' ? m : undefined;
    });
    await eventually(async () => {
      const m = (await hub.admin('GET', `/admin/messages/${failed.json.id}`)).json;
      return m.status === 'failed' ? m : undefined;
    });
    expect(partner.received.some((r) => r.headers['webhook-signature'])).toBe(true);

    // ---- Pull: the receiver leases its inbox and completes by receipt handle ----
    const pulled = await ok(
      hub.partner('POST', '/v1/messages?sender=shop&receiver=wms&doctype=pulled', shopKey, {
        body: '{"p":1}',
      }),
    );
    const inbox = (await ok(hub.partner('GET', '/v1/inbox', wmsKey))).json.messages;
    expect(inbox.map((m: { id: string }) => m.id)).toEqual([pulled.json.id]);
    keep('an inbox receipt handle', inbox[0].receiptHandle);
    await ok(
      hub.partner('POST', '/v1/inbox/done', wmsKey, {
        body: JSON.stringify([{ id: inbox[0].id, receiptHandle: inbox[0].receiptHandle }]),
        headers: json,
      }),
    );

    // ---- An entity row, and an enablement the receiver consents to ----
    await ok(
      hub.partner('PUT', '/v1/entities/invoice/inv-1', shopKey, { body: '{"amount":1}', headers: json }),
    );
    const enablement = await ok(
      hub.partner('POST', '/v1/enablements', shopKey, {
        body: JSON.stringify({ integrationId: managed.json.id }),
        headers: json,
      }),
    );
    const consented = await ok(
      hub.partner('POST', `/v1/enablements/${enablement.json.id}/consent`, wmsKey, {
        body: '{"granted":true}',
        headers: json,
      }),
    );
    expect(consented.json.status).toBe('active');

    // ---- 3PL: a token by Basic and by OAuth, a failed login, a post and its result ----
    const token = await ok(
      hub.partner('GET', '/v1/generatetoken', undefined, {
        headers: { ...JSON_3PL, authorization: basic('tpl-user', password) },
      }),
    );
    keep('a 3PL token', token.json.AccessToken);
    const oauth = await ok(
      hub.partner('POST', '/oauth2/token', undefined, {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic('tpl-user', password),
        },
        body: 'grant_type=client_credentials',
      }),
    );
    keep('an OAuth access token', oauth.json.access_token);
    const wrongPassword = keep('a wrong 3PL password', `not-the-password-${randomUUID()}`);
    expect(
      (
        await hub.partner('GET', '/v1/generatetoken', undefined, {
          headers: { ...JSON_3PL, authorization: basic('tpl-user', wrongPassword) },
        })
      ).status,
    ).toBe(401);
    const post = await ok(
      hub.partner('POST', '/v1/replicationpost', undefined, {
        headers: { ...JSON_3PL, authorization: `Bearer ${token.json.AccessToken}` },
        body: JSON.stringify({
          repLines: [
            {
              apiuuid: randomUUID(),
              apiid: 'OH',
              senderidentification: 'tpl',
              nodes: [{ name: 'order_no', value: '1' }],
            },
          ],
        }),
      }),
    );
    await ok(
      hub.partner('GET', `/v1/communications/${post.json.CommunicationID}`, undefined, {
        headers: { ...JSON_3PL, authorization: oauth.json.access_token },
      }),
    );

    // ---- ERP ↔ device packets: push, upload, lease, link, done, both ways ----
    const packet = Buffer.from(
      JSON.stringify({
        salesmancode: 'user1',
        tables: [{ tablename: 'Customers', records: [{ status: 'insert', fields: { DMS_ROWID: 'r-1' } }] }],
      }),
    );
    const ready = (id: string) =>
      eventually(async () => {
        const s = (await hub.partner('GET', `/erp/status/area1/${id}`, erpKey)).json;
        return s.status === 'ready' ? s : undefined;
      });
    const signature = (url: string) =>
      keep('an upload URL’s signature', new URL(url).searchParams.get('X-Amz-Signature'));
    const pushed = await ok(
      hub.partner(
        'GET',
        `/erp/push/area1/user1?packetUniqueId=p-1&size=${packet.length}&packetType=json`,
        erpKey,
      ),
    );
    signature(pushed.json.uploadPath);
    expect((await fetch(pushed.json.uploadPath, { method: 'PUT', body: packet })).status).toBe(200);
    await ready(pushed.json.syncLogId);
    const [toDevice] = (await ok(hub.partner('GET', '/device/area1/user1/packets', deviceKey))).json.packets;
    keep('a device receipt handle', toDevice.receiptHandle);
    const deviceLink = await ok(
      hub.partner('GET', `/device/area1/user1/link?path=${encodeURIComponent(toDevice.url)}`, deviceKey),
    );
    signature(deviceLink.raw.toString());
    await ok(
      hub.partner('POST', '/device/area1/user1/done', deviceKey, {
        body: JSON.stringify([{ id: toDevice.id, receiptHandle: toDevice.receiptHandle }]),
        headers: json,
      }),
    );
    const uploaded = await ok(
      hub.partner(
        'GET',
        `/device/area1/user1/upload?packetUniqueId=d-1&size=${packet.length}&packetType=json`,
        deviceKey,
      ),
    );
    signature(uploaded.json.uploadPath);
    expect((await fetch(uploaded.json.uploadPath, { method: 'PUT', body: packet })).status).toBe(200);
    await ready(uploaded.json.syncLogId);
    const [toErp] = (await ok(hub.partner('GET', '/mobile/erp/pull/area1?packetType=packet', erpKey))).json
      .packets;
    keep('an ERP receipt handle', toErp.receiptHandle);
    const erpLink = await ok(
      hub.partner('GET', `/erp/pull/area1/link?path=${encodeURIComponent(toErp.url)}`, erpKey),
    );
    signature(erpLink.raw.toString());
    // A stale handle first (listed as failed), then the real one.
    await ok(
      hub.partner('POST', '/erp/pull/area1/done', erpKey, {
        body: JSON.stringify([{ id: toErp.id, receiptHandle: `${toErp.receiptHandle}x` }]),
        headers: json,
      }),
    );
    await ok(
      hub.partner('POST', '/erp/pull/area1/done', erpKey, {
        body: JSON.stringify([{ id: toErp.id, receiptHandle: toErp.receiptHandle }]),
        headers: json,
      }),
    );

    // ---- What the hub wrote ----
    const text = captured.join('\n');
    // The run was logged at DEBUG: one line per request at least, so the check below read something.
    const requestLines = text.split('\n').filter((l) => l.includes('"message":"request"'));
    expect(requestLines.length).toBeGreaterThan(40);
    const leaked = [...secrets].filter(([secret]) => text.includes(secret)).map(([, what]) => what);
    expect(leaked).toEqual([]);
    expect(secrets.size).toBeGreaterThan(20);
  });
});
