import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REFUSED_PATH_CHARS, MAX_USER_AGENT_CHARS } from '../../functions/core/refusals.js';
import { messagesTable } from '../../lib/resources.js';
import { outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

interface Refused {
  at: string;
  method: string;
  path: string;
  status: number;
  code: string;
  userAgent?: string;
}

/**
 * GET /admin/partners/{code}/requests on the local hub: what the edge refuses a partner (a revoked
 * key, an unknown receiver, a body over the cap, a key without the scope), tied to the partner by its
 * key, its `sender` or its path, newest first; what it accepts costs nothing; no secret is kept.
 */
describe("a partner's refused requests", () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let dynamo: DynamoDBClient;
  let key = '';
  let revoked = '';
  let erpOnly = '';
  const json = { 'content-type': 'application/json' };

  const listed = async (code: string, query = '') => {
    const r = await hub.admin('GET', `/admin/partners/${code}/requests${query}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.requests as Refused[];
  };
  /** Every refusal item kept (a test-only Scan of the embedded table), as stored. */
  const storedRefusals = async () =>
    (
      await dynamo.send(
        new ScanCommand({
          TableName: process.env[messagesTable.envVar],
          FilterExpression: 'begins_with(pk, :r)',
          ExpressionAttributeValues: { ':r': { S: 'REFUSED#' } },
        }),
      )
    ).Items ?? [];

  beforeAll(async () => {
    hub = await startTestHub();
    dynamo = new DynamoDBClient({});
    partner = await startPartner();
    for (const code of ['erp', 'wms', 'DMDEV01', 'quiet'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    erpOnly = (await hub.admin('POST', '/admin/partners/erp/keys', { scopes: ['erp'] })).json.key;
    const made = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json;
    revoked = made.key;
    expect((await hub.admin('DELETE', `/admin/partners/erp/keys/${made.id}`)).status).toBe(204);
    await hub.admin('POST', '/admin/integrations', outboundIntegration('orders to wms', 'wms', partner.url));
  });
  afterAll(async () => {
    dynamo?.destroy();
    await partner?.stop();
    await hub?.stop();
  });

  it('keeps nothing for accepted requests', async () => {
    const ok = await hub.partner('POST', '/v1/messages?sender=erp&receiver=wms&doctype=order', key, {
      body: '{"n":1}',
      headers: json,
    });
    expect(ok.status).toBe(202);
    expect((await hub.partner('GET', `/v1/messages/${ok.json.id}`, key)).status).toBe(200);
    expect(await listed('erp')).toEqual([]);
    expect(await storedRefusals()).toHaveLength(0);
  });

  it('lists a revoked key, an unknown receiver, a body over the cap and a missing scope, newest first', async () => {
    const ua = 'acme-erp/2.1 '.repeat(100);
    const steps: { status: number; path: string; send: () => ReturnType<TestHub['partner']> }[] = [
      {
        // The key no longer names anyone: the request's sender does.
        status: 403,
        path: '/v1/messages',
        send: () =>
          hub.partner('POST', '/v1/messages?sender=erp&receiver=wms&doctype=order', revoked, {
            body: '{"n":2}',
            headers: { ...json, 'user-agent': ua },
          }),
      },
      {
        status: 404,
        path: '/v1/messages',
        send: () =>
          hub.partner('POST', '/v1/messages?sender=erp&receiver=nobody&doctype=order', key, {
            body: '{"n":3}',
            headers: json,
          }),
      },
      {
        // Refused before the key is read: the key still ties it.
        status: 413,
        path: '/v1/entities/invoice/i1',
        send: () =>
          hub.partner('PUT', '/v1/entities/invoice/i1', key, {
            body: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }),
            headers: json,
          }),
      },
      {
        status: 403,
        path: '/v1/entities/invoice/i2',
        send: () => hub.partner('PUT', '/v1/entities/invoice/i2', erpOnly, { body: '{}', headers: json }),
      },
    ];
    for (const s of steps) expect((await s.send()).status, s.path).toBe(s.status);

    const requests = await listed('erp');
    expect(requests.map((r) => [r.status, r.path])).toEqual(steps.map((s) => [s.status, s.path]).reverse());
    expect(requests.map((r) => r.method)).toEqual(['PUT', 'PUT', 'POST', 'POST']);
    for (const r of requests) expect(r.code).toMatch(/^[a-z_]+$/);
    expect(requests[0]?.code).toBe('forbidden');
    expect(requests[1]?.code).toBe('payload_too_large');
    const ats = requests.map((r) => r.at);
    expect([...ats].sort().reverse()).toEqual(ats);
    expect(Date.parse(ats[0] ?? '')).toBeGreaterThan(Date.now() - 60_000);
    // The user agent is kept, cut to its cap.
    expect(requests[3]?.userAgent).toBe(ua.slice(0, MAX_USER_AGENT_CHARS));

    // limit: the newest only.
    expect((await listed('erp', '?limit=2')).map((r) => r.path)).toEqual(
      requests.slice(0, 2).map((r) => r.path),
    );
    // Nobody else's list holds them.
    expect(await listed('wms')).toEqual([]);
  });

  it('ties a request with no usable key to the partner its path names, and cuts a long path', async () => {
    const long = `/erp/status/DMDEV01/${'s'.repeat(400)}`;
    expect((await hub.partner('GET', long, 'not-a-key')).status).toBe(403);
    const [r] = await listed('DMDEV01');
    expect(r).toMatchObject({ method: 'GET', status: 403, code: 'forbidden' });
    expect(r?.path).toBe(long.slice(0, MAX_REFUSED_PATH_CHARS));
    // A sender or area that is no partner ties nothing.
    const before = (await storedRefusals()).length;
    expect(
      (
        await hub.partner('POST', '/v1/messages?sender=ghost&receiver=wms&doctype=order', 'not-a-key', {
          body: '{}',
          headers: json,
        })
      ).status,
    ).toBe(403);
    expect((await hub.partner('GET', '/erp/status/GHOST/s1', undefined)).status).toBe(401);
    expect((await storedRefusals()).length).toBe(before);
    expect(await listed('quiet')).toEqual([]);
  });

  it('keeps no key, token or header beyond the user agent', async () => {
    const items = await storedRefusals();
    expect(items.length).toBeGreaterThan(0);
    const text = JSON.stringify(items);
    for (const secret of [key, revoked, erpOnly, 'not-a-key']) expect(text).not.toContain(secret);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(
        expect.arrayContaining(['answered', 'at', 'code', 'expiresAt', 'method', 'path', 'pk', 'sk']),
      );
      for (const k of Object.keys(item))
        expect(['answered', 'at', 'code', 'expiresAt', 'method', 'path', 'pk', 'sk', 'userAgent']).toContain(
          k,
        );
      // Kept 7 days.
      const ttl = Number(item.expiresAt?.N) * 1000 - Date.parse(item.at?.S ?? '');
      expect(Math.round(ttl / 86_400_000)).toBe(7);
    }
  });

  it('answers 404 for an unknown partner and 400 for a bad limit', async () => {
    const unknown = await hub.admin('GET', '/admin/partners/nobody/requests');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('not_found');
    for (const limit of ['0', '101', 'x']) {
      expect((await hub.admin('GET', `/admin/partners/erp/requests?limit=${limit}`)).status).toBe(400);
    }
  });
});
