import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '../../functions/core/partners.js';
import type { RefusedRequest } from '../../functions/core/refusals.js';
import { sha256Hex } from '../../functions/core/secrets.js';
import { byRouteKey, edge } from '../../functions/http/edge.js';
import * as partners from '../../functions/routes/admin/partners.js';
import * as device from '../../functions/routes/device/urls.js';
import * as inbox from '../../functions/routes/inbox.js';
import * as communications from '../../functions/routes/threepl/communications.js';
import { lambdaContext } from '../../lib/local/api-gateway.js';

/**
 * The edge wrapper over real route declarations, with in-memory ports and handlers that echo their
 * input (as the JSON body of the route's one declared success).
 */

const KEYS: Record<string, ApiKeyRecord> = {
  [sha256Hex('wms-messages')]: { partnerCode: 'wms', keyId: 'k1', scopes: ['messages'] },
  [sha256Hex('wms-erp')]: { partnerCode: 'wms', keyId: 'k2', scopes: ['erp'] },
  [sha256Hex('wms-device-u1')]: { partnerCode: 'wms', keyId: 'k3', scopes: ['device'], mobileUser: 'u1' },
};
const keys = { findKeyByHash: async (h: string) => KEYS[h] };
const adminKey = { sha256: async () => sha256Hex('the-admin-key') };
const tokens = { getToken: async () => undefined, getCredential: async () => undefined };
const clock = { now: () => 0 };
/** What the edge hands on of the requests it refuses (the use case ties and keeps them). */
const refused: RefusedRequest[] = [];
const refusals = {
  record: async (r: RefusedRequest) => {
    refused.push(r);
  },
};

function call(
  handler: (e: APIGatewayProxyEventV2, c: ReturnType<typeof lambdaContext>) => Promise<unknown>,
  init: {
    method?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    params?: Record<string, string>;
    body?: string;
  } = {},
) {
  const event = {
    version: '2.0',
    routeKey: 'test',
    rawPath: '/test',
    rawQueryString: '',
    headers: init.headers ?? {},
    queryStringParameters: init.query,
    pathParameters: init.params,
    body: init.body,
    isBase64Encoded: false,
    requestContext: { requestId: 'r1', http: { method: init.method ?? 'GET', sourceIp: '127.0.0.1' } },
  } as unknown as APIGatewayProxyEventV2;
  return handler(event, lambdaContext('test')).then((r) => {
    const result = r as APIGatewayProxyStructuredResultV2;
    return {
      status: result.statusCode,
      headers: result.headers ?? {},
      json: result.body ? JSON.parse(result.body) : undefined,
    };
  });
}

describe('the edge wrapper', () => {
  const createKey = edge(
    partners.createKey,
    () => ({ adminKey }),
    async ({ params, body }) => ({ params, body }),
  );
  const admin = { authorization: 'Bearer the-admin-key', 'content-type': 'application/json' };

  it('checks the admin key before anything is read, in the hub’s error shape', async () => {
    const r = await call(createKey, { method: 'POST', params: { code: 'wms' }, body: '{"nope":1}' });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(
      (await call(createKey, { headers: { authorization: 'Bearer wrong' }, params: { code: 'x' } })).status,
    ).toBe(401);
  });

  it('hands the handler its parsed path and body; an optional body may be empty', async () => {
    const r = await call(createKey, { method: 'POST', headers: admin, params: { code: 'wms' } });
    expect(r).toMatchObject({ status: 201, json: { params: { code: 'wms' }, body: {} } });
    const scoped = await call(createKey, {
      method: 'POST',
      headers: admin,
      params: { code: 'wms' },
      body: '{"scopes":["erp"]}',
    });
    expect(scoped.json.body).toEqual({ scopes: ['erp'] });
  });

  it('refuses unknown properties, and a body that is not sent as JSON', async () => {
    const unknown = await call(createKey, {
      method: 'POST',
      headers: admin,
      params: { code: 'wms' },
      body: '{"nope":1}',
    });
    expect(unknown).toMatchObject({ status: 400, json: { error: { code: 'unknown_property' } } });
    const text = await call(createKey, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'text/plain' },
      params: { code: 'wms' },
      body: '{}',
    });
    expect(text.status).toBe(415);
  });

  const getInbox = edge(
    inbox.getInbox,
    () => ({ keys, refusals }),
    async ({ query, caller }) => ({ query, partner: caller.partnerCode }),
  );

  it('takes a messages key from the query, checks its scope, and parses numbers with their defaults', async () => {
    const r = await call(getInbox, { query: { apikey: 'wms-messages', visibilityTimeout: '' } });
    expect(r.json).toEqual({
      query: { apikey: 'wms-messages', limit: 10, visibilityTimeout: 900 },
      partner: 'wms',
    });
    expect((await call(getInbox)).status).toBe(401);
    expect((await call(getInbox, { headers: { 'x-api-key': 'wms-erp' } })).status).toBe(403);
    const bad = await call(getInbox, { headers: { 'x-api-key': 'wms-messages' }, query: { limit: '1e3' } });
    expect(bad).toEqual({
      status: 400,
      headers: expect.anything(),
      json: { error: { code: 'invalid_parameter', message: 'limit must be an integer from 1 to 100.' } },
    });
    // Each refusal is handed on with its status and code; one that got past the key is tied to its
    // partner, and the others carry what may tie them (the key is looked up, never kept).
    expect(refused.slice(-3)).toEqual([
      { method: 'GET', path: '/test', status: 401, code: 'unauthorized', named: [] },
      { method: 'GET', path: '/test', status: 403, code: 'forbidden', key: 'wms-erp', named: [] },
      {
        method: 'GET',
        path: '/test',
        status: 400,
        code: 'invalid_parameter',
        partner: 'wms',
        key: 'wms-messages',
        named: [],
      },
    ]);
  });

  const upload = edge(
    device.deviceUpload,
    () => ({ keys, refusals }),
    async ({ query, caller }) => ({ query, caller }),
  );
  const query = { packetUniqueId: 'p1', size: '12', packetType: 'JSON' };

  it('gives a device its area and the path’s user, whom a bound key must name, in the packets face', async () => {
    const ok = await call(upload, {
      headers: { 'x-api-key': 'wms-device-u1' },
      params: { appArea: 'wms', mobileUser: 'u1' },
      query,
    });
    expect(ok.json).toEqual({
      query: { packetUniqueId: 'p1', size: 12, packetType: 'json' },
      caller: { appArea: 'wms', mobileUser: 'u1' },
    });
    const other = await call(upload, {
      headers: { 'x-api-key': 'wms-device-u1' },
      params: { appArea: 'wms', mobileUser: 'u2' },
      query,
    });
    expect(other).toMatchObject({ status: 403, json: { success: false, error: { code: 'forbidden' } } });
    const area = await call(upload, {
      headers: { 'x-api-key': 'wms-device-u1' },
      params: { appArea: 'erp', mobileUser: 'u1' },
      query,
    });
    expect(area.status).toBe(403);
    const user = await call(upload, {
      headers: { 'x-api-key': 'wms-device-u1' },
      params: { appArea: 'wms', mobileUser: 'u#1' },
      query,
    });
    expect(user.json.error).toEqual({
      code: 'invalid_parameter',
      message: 'mobileUser may not contain #, / or control characters.',
    });
    // Seed 003's keys travel in x-api-key only.
    expect(
      (
        await call(upload, {
          query: { ...query, apikey: 'wms-device-u1' },
          params: { appArea: 'wms', mobileUser: 'u1' },
        })
      ).status,
    ).toBe(401);
  });

  const communication = edge(
    communications.getCommunication,
    () => ({ tokens, clock, refusals }),
    async () => undefined,
  );

  it('keeps the 3PL face’s rules: 499 before the caller, 401 with its challenge, its own shape', async () => {
    const type = await call(communication, {
      headers: { 'content-type': 'text/plain' },
      params: { CommunicationID: 'c' },
    });
    expect(type).toMatchObject({
      status: 499,
      json: { ResponseCode: 499 },
      headers: { 'cache-control': 'no-store' },
    });
    const none = await call(communication, { params: { CommunicationID: 'c' } });
    expect(none).toMatchObject({
      status: 401,
      json: { ResponseCode: 401 },
      headers: { 'www-authenticate': 'Bearer realm="crossdock"' },
    });
    const stale = await call(communication, {
      headers: { authorization: 'Bearer abc' },
      params: { CommunicationID: 'c' },
    });
    expect(stale.json.ResponseCode).toBe(403);
  });
});

describe('byRouteKey: several routes in one function', () => {
  const answerWith = (body: string) => async (): Promise<APIGatewayProxyStructuredResultV2> => ({
    statusCode: 200,
    body,
  });
  const fn = byRouteKey([
    [{ method: 'GET', path: '/odata/{resource}' }, answerWith('read')],
    [{ method: 'DELETE', path: '/odata/{resource}' }, answerWith('delete')],
  ]);
  const call = (routeKey: string) => fn({ routeKey } as APIGatewayProxyEventV2, lambdaContext('test', 5000));

  it('hands each request to the handler of its route key, and refuses a route it does not serve', async () => {
    expect((await call('GET /odata/{resource}')).body).toBe('read');
    expect((await call('DELETE /odata/{resource}')).body).toBe('delete');
    await expect(call('PATCH /odata/{resource}')).rejects.toThrow(/No handler for route PATCH/);
  });
});
