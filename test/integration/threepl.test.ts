import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommunicationRepository } from '../../functions/adapters/communications.js';
import { LOGIN_LOCKOUT_MS, MAX_FAILED_LOGINS_PER_ADDRESS } from '../../functions/core/tokens.js';
import { CLAIM_STALE_MS } from '../../functions/usecases/replication.js';
import { messagesTable } from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * Seed 002's example post, as the seed prints it, with its curly quotes (“senderidentification”:
 * “3PL-name”) straightened. Everything else is byte for byte the seed's.
 */
const SEED_POST = `{

    

    "repLines": [

        {

            "apiuuid": "87277F40-6954-42F0-B191-A4A1DE476326",

            "apiid": "PH",

            "senderidentification": "3PL-name",

            "nodes": [

                {

                    "name": "pallet_#",

                    "value": "12345678"

                },

                {

                    "name": "coolstore_c",

                    "value": "1ABC"

                }

            ]

        },

        {

            "apiuuid": "4B50F6B8-3E9A-441B-A9CF-F585F8EE5F10",

            "apiid": "PD",

            "senderidentification": "3PL-name",

            "nodes": [

                {

                    "name": "pallet_#",

                    "value": "12345678"

                },

                {

                    "name": "grower_c",

                    "value": "agriculture1"

                }

            ]

        },

        {

            "apiuuid": "826B335E-49C1-4831-8916-F1A4F666008C",

            "apiid": "HI",

            "senderidentification": "3PL-name",

            "nodes": [

                {

                    "name": "Pallet",

                    "value": "12345678"

                },

                {

                    "name": "operation_date",

                    "value": "2023-06-26"

                }

            ]

        }

    ]

}`;
const SEED_LINES = JSON.parse(SEED_POST).repLines as { apiuuid: string; apiid: string }[];
const JSON_UTF8 = 'application/json; charset=utf8';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ohLine = (apiuuid: string = randomUUID()) => ({
  apiuuid,
  apiid: 'OH',
  senderidentification: '3PL-name',
  nodes: [{ name: 'order_no', value: 'SO-1' }],
});

/** Seed 002 end to end: Basic → token, replication posts through the delivery engine, their results. */
describe('3PL API (seed 002)', () => {
  let hub: TestHub;
  let flex: Awaited<ReturnType<typeof startPartner>>;
  let flexB: Awaited<ReturnType<typeof startPartner>>;
  let refusing: Awaited<ReturnType<typeof startPartner>>;
  let dynamo: DynamoDBClient;
  let tokenA: string;
  let tokenB: string;

  const credentials = (code: string, body: unknown) =>
    hub.admin('PUT', `/admin/partners/${code}/credentials`, body);
  const generateToken = (authorization: string | undefined, contentType: string | undefined = JSON_UTF8) =>
    hub.partner('GET', '/v1/generatetoken', undefined, {
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(contentType ? { 'content-type': contentType } : {}),
      },
    });
  /** GET /v1/generatetoken from another loopback address (fetch always connects from 127.0.0.1). */
  const generateTokenFrom = (localAddress: string, authorization: string) =>
    new Promise<{ status: number; json: any; retryAfter?: string }>((resolve, reject) => {
      const url = new URL('/v1/generatetoken', hub.url);
      request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          localAddress,
          headers: { authorization, 'content-type': JSON_UTF8 },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
              ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
            }),
          );
        },
      )
        .on('error', reject)
        .end();
    });
  const tokenFor = async (user: string, password: string) => {
    const r = await generateToken(basic(user, password));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.AccessToken as string;
  };
  const post = (authorization: string | undefined, body: unknown, contentType = JSON_UTF8) =>
    hub.partner('POST', '/v1/replicationpost', undefined, {
      headers: { ...(authorization ? { authorization } : {}), 'content-type': contentType },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });
  const communication = (token: string, id: string) =>
    hub.partner('GET', `/v1/communications/${id}`, undefined, {
      headers: { authorization: `Bearer ${token}` },
    });

  /** The requests a partner server got for these apiuuids (any case). */
  const deliveriesOf = (server: typeof flex, apiuuids: readonly string[]) => {
    const wanted = new Set(apiuuids.map((u) => u.toLowerCase()));
    return server.received.filter((r) => {
      try {
        return wanted.has(String(JSON.parse(r.body.toString()).apiuuid).toLowerCase());
      } catch {
        return false;
      }
    });
  };
  const seedIds = SEED_LINES.map((l) => l.apiuuid);

  /** What the messages table holds (a test-only Scan): messages, posts and apiuuid claims. */
  const written = async () => {
    const counts = { messages: 0, posts: 0, claims: 0 };
    let ExclusiveStartKey: Record<string, never> | undefined;
    do {
      const r = await dynamo.send(
        new ScanCommand({ TableName: process.env[messagesTable.envVar], ExclusiveStartKey }),
      );
      for (const item of r.Items ?? []) {
        const sk = item.sk?.S;
        if (sk === 'MSG') counts.messages++;
        if (sk === 'COMM') counts.posts++;
        if (sk === 'APIUUID') counts.claims++;
      }
      ExclusiveStartKey = r.LastEvaluatedKey as typeof ExclusiveStartKey;
    } while (ExclusiveStartKey);
    return counts;
  };

  beforeAll(async () => {
    hub = await startTestHub();
    dynamo = new DynamoDBClient({});
    const answer = (status: number) => (_r: unknown, res: import('node:http').ServerResponse) => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    };
    flex = await startPartner(answer(200));
    flexB = await startPartner(answer(200));
    refusing = await startPartner(answer(400));
    for (const code of [
      'flex',
      'wms-a',
      'wms-b',
      'wms-none',
      'wms-fail',
      'wms-broken',
      'wms-lock',
      'wms-short',
    ]) {
      expect((await hub.admin('POST', '/admin/partners', { code, name: code })).status).toBe(201);
    }
    const replication = (name: string, sender: string, url: string, extra: Record<string, unknown> = {}) =>
      hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration(name, 'flex', url, { entity: 'replication', sender, ...extra }),
      );
    for (const r of await Promise.all([
      replication('wms-a lines to flex', 'wms-a', flex.url),
      replication('wms-b lines to flex', 'wms-b', flexB.url),
      replication('wms-fail lines', 'wms-fail', refusing.url, { maxAttempts: 1 }),
      replication('wms-broken lines', 'wms-broken', flex.url, { filter: '$error("misconfigured")' }),
      // An integration for another entity does not carry 3PL lines: wms-none has only this one.
      hub.admin(
        'POST',
        '/admin/integrations',
        outboundIntegration('wms-none orders', 'flex', flex.url, { sender: 'wms-none' }),
      ),
    ])) {
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
    for (const [code, username] of [
      ['wms-a', 'a-user'],
      ['wms-b', 'b-user'],
      ['wms-none', 'none-user'],
      ['wms-fail', 'fail-user'],
      ['wms-broken', 'broken-user'],
      ['wms-lock', 'lock-user'],
    ] as const) {
      expect((await credentials(code, { username, password: `${username}-password` })).status).toBe(204);
    }
    tokenA = await tokenFor('a-user', 'a-user-password');
    tokenB = await tokenFor('b-user', 'b-user-password');
  });

  afterAll(async () => {
    dynamo?.destroy();
    await Promise.all([flex?.stop(), flexB?.stop(), refusing?.stop()]);
    await hub?.stop();
  });

  describe('credentials (operator)', () => {
    it('sets credentials (204), refuses a taken username (409), an unknown partner (404) and bad bodies (400)', async () => {
      expect(
        (
          await credentials('wms-short', {
            username: 'short-user',
            password: 'short-password',
            tokenTtlMs: 1,
          })
        ).status,
      ).toBe(204);
      const taken = await credentials('wms-short', { username: 'a-user', password: 'whatever-password' });
      expect(taken.status).toBe(409);
      expect(taken.json.error.code).toBe('username_taken');
      expect((await credentials('nobody', { username: 'x-user', password: 'long-enough' })).status).toBe(404);
      for (const body of [
        { username: 'u', password: 'short' },
        { username: 'has:colon', password: 'long-enough' },
        { username: 'u', password: 'long-enough', tokenTtlMs: 0 },
        { username: 'u', password: 'long-enough', extra: true },
      ]) {
        expect((await credentials('wms-short', body)).status, JSON.stringify(body)).toBe(400);
      }
      const proto = await hub.partner('PUT', '/admin/partners/wms-short/credentials', undefined, {
        headers: { authorization: `Bearer ${hub.adminKey}`, 'content-type': 'application/json' },
        body: '{"username":"u","password":"long-enough","__proto__":{"admin":true}}',
      });
      expect(proto.status).toBe(400);
      const anonymous = await hub.partner('PUT', '/admin/partners/wms-short/credentials', undefined, {
        body: JSON.stringify({ username: 'u', password: 'long-enough' }),
      });
      expect(anonymous.status).toBe(401);
    });
  });

  describe('GET /v1/generatetoken', () => {
    it('answers the seed’s token shape for JSON with any charset spelling, or no content type', async () => {
      for (const contentType of [
        undefined,
        'application/json',
        'application/json; charset=utf8',
        'application/json; charset=UTF-8',
      ]) {
        const r = await generateToken(basic('a-user', 'a-user-password'), contentType);
        expect(r.status, String(contentType)).toBe(200);
        expect(Object.keys(r.json)).toEqual([
          'ResponseCode',
          'ResponseMessage',
          'AccessToken',
          'ExpirationMs',
        ]);
        expect(r.json).toMatchObject({ ResponseCode: 200, ResponseMessage: 'OK', ExpirationMs: 3_600_000 });
        expect(r.json.AccessToken).toMatch(/^cdt_/);
        expect(r.headers.get('cache-control')).toBe('no-store');
        expect(r.headers.get('x-request-id')).toBeTruthy();
      }
    });

    it('is 401, not an error, for a username longer than any stored one (a key over DynamoDB’s limit)', async () => {
      const r = await generateToken(basic('u'.repeat(6000), 'a-user-password'));
      expect(r.status).toBe(401);
      expect(r.json.ResponseCode).toBe(401);
    });

    it('is 499 for a content type other than JSON', async () => {
      for (const contentType of ['text/plain', 'application/xml', 'application/json; charset=iso-8859-1']) {
        const r = await generateToken(basic('a-user', 'a-user-password'), contentType);
        expect(r.status).toBe(499);
        expect(r.json.ResponseCode).toBe(499);
        expect(r.json.ResponseMessage).toMatch(/content type/i);
      }
    });

    it('is 401, the same answer each time, for missing, malformed, unknown and wrong credentials', async () => {
      const answers = [];
      for (const authorization of [
        undefined,
        'Basic !!!not-base64!!!',
        `Basic ${Buffer.from('no-colon-here').toString('base64')}`,
        basic('nobody-at-all', 'a-user-password'),
        basic('a-user', 'wrong-password'),
      ]) {
        const r = await generateToken(authorization);
        expect(r.status, String(authorization)).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
        answers.push(r.json);
      }
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(answers[0]).toEqual({
        ResponseCode: 401,
        ResponseMessage:
          'No valid credentials were provided: send Authorization: Basic base64(username:password).',
      });
    });

    it(`answers 429 for a while after ${MAX_FAILED_LOGINS_PER_ADDRESS} failures of one username from one address, even with the right password, and only to that address`, async () => {
      const guesser = '127.0.0.2';
      for (let i = 0; i < MAX_FAILED_LOGINS_PER_ADDRESS; i++) {
        expect((await generateTokenFrom(guesser, basic('lock-user', `guess-${i}`))).status).toBe(401);
      }
      const locked = await generateTokenFrom(guesser, basic('lock-user', 'lock-user-password'));
      expect(locked.status).toBe(429);
      expect(locked.json).toMatchObject({ ResponseCode: 429 });
      expect(locked.json.ResponseMessage).toMatch(/too many failed logins/i);
      expect(Number(locked.retryAfter)).toBeGreaterThan(LOGIN_LOCKOUT_MS / 1000 - 60);
      // The owner, from its own address, still gets its token: knowing a username locks nobody out.
      expect((await generateToken(basic('lock-user', 'lock-user-password'))).status).toBe(200);
      expect((await generateTokenFrom(guesser, basic('lock-user', 'lock-user-password'))).status).toBe(429);
      // Another username is not affected; the operator lifts the lock by setting the credentials again.
      expect((await generateTokenFrom(guesser, basic('b-user', 'b-user-password'))).status).toBe(200);
      expect(
        (await credentials('wms-lock', { username: 'lock-user', password: 'lock-user-password' })).status,
      ).toBe(204);
      expect((await generateTokenFrom(guesser, basic('lock-user', 'lock-user-password'))).status).toBe(200);
    });
  });

  describe('POST /oauth2/token', () => {
    const form = (body: string, authorization?: string, contentType = 'application/x-www-form-urlencoded') =>
      hub.partner('POST', '/oauth2/token', undefined, {
        headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
        body,
      });

    it('issues the same tokens for the client credentials grant (RFC 6749 §4.4)', async () => {
      const viaBasic = await form('grant_type=client_credentials', basic('a-user', 'a-user-password'));
      expect(viaBasic.status).toBe(200);
      expect(viaBasic.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ResponseCode: 200 });
      expect(viaBasic.headers.get('cache-control')).toBe('no-store');
      const viaForm = await form(
        'grant_type=client_credentials&client_id=a-user&client_secret=a-user-password',
      );
      expect(viaForm.status).toBe(200);
      // The token works on the 3PL routes.
      const r = await post(`Bearer ${viaForm.json.access_token}`, { repLines: [ohLine()] });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
    });

    it('answers RFC 6749 errors, in the 3PL shape as well', async () => {
      const wrong = await form('grant_type=client_credentials', basic('a-user', 'nope'));
      expect(wrong.status).toBe(401);
      expect(wrong.json).toMatchObject({ error: 'invalid_client', ResponseCode: 401 });
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
      const grant = await form('grant_type=password', basic('a-user', 'a-user-password'));
      expect(grant.status).toBe(400);
      expect(grant.json.error).toBe('unsupported_grant_type');
      const json = await form(
        '{"grant_type":"client_credentials"}',
        basic('a-user', 'a-user-password'),
        'application/json',
      );
      expect(json.status).toBe(400);
      expect(json.json.error).toBe('invalid_request');
    });
  });

  describe('POST /v1/replicationpost and GET /v1/communications/{id}', () => {
    let seedCommunication: string;

    it('accepts the seed’s own example post and delivers each line to the receiving system', async () => {
      const r = await post(`Bearer ${tokenA}`, SEED_POST);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(Object.keys(r.json)).toEqual(['ResponseCode', 'ResponseMessage', 'CommunicationID']);
      expect(r.json).toMatchObject({ ResponseCode: 200, ResponseMessage: 'OK' });
      expect(r.json.CommunicationID).toMatch(
        /^[0-9A-F]{8}-[0-9A-F]{4}-7[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/,
      );
      seedCommunication = r.json.CommunicationID;

      const seen = await eventually(async () => {
        const got = deliveriesOf(flex, seedIds);
        return got.length >= 3 ? got : undefined;
      });
      expect(seen).toHaveLength(3);
      const byVersion = new Map(seen.map((s) => [s.url.searchParams.get('version'), s]));
      for (const line of JSON.parse(SEED_POST).repLines) {
        const s = byVersion.get(line.apiid);
        expect(s, line.apiid).toBeDefined();
        expect(Object.fromEntries(s?.url.searchParams ?? [])).toEqual({
          sender: 'wms-a',
          receiver: 'flex',
          doctype: 'replication',
          version: line.apiid,
        });
        expect(JSON.parse(s?.body.toString() ?? '')).toEqual(line);
        expect(s?.headers['content-type']).toBe('application/json');
        expect(s?.headers['webhook-signature']).toBeTruthy();
      }

      const result = await eventually(async () => {
        const c = await communication(tokenA, seedCommunication);
        return c.json.Status === 'delivered' ? c : undefined;
      });
      expect(result.status).toBe(200);
      expect(result.json).toMatchObject({
        ResponseCode: 200,
        ResponseMessage: 'OK',
        CommunicationID: seedCommunication,
      });
      expect(Date.parse(result.json.ReceivedAt)).not.toBeNaN();
      expect(result.json.Lines).toEqual(
        SEED_LINES.map((l) => ({ apiuuid: l.apiuuid, apiid: l.apiid, Status: 'delivered' })),
      );
      // The id is read in any case.
      expect((await communication(tokenA, seedCommunication.toLowerCase())).status).toBe(200);

      // The operator reads any partner's post, and sees who sent it.
      const asAdmin = await hub.admin('GET', `/admin/communications/${seedCommunication}`);
      expect(asAdmin.status).toBe(200);
      expect(asAdmin.json).toEqual({
        partner: 'wms-a',
        CommunicationID: seedCommunication,
        Status: 'delivered',
        ReceivedAt: result.json.ReceivedAt,
        Lines: result.json.Lines,
      });
      expect(
        (await hub.admin('GET', '/admin/communications/00000000-0000-7000-8000-000000000000')).status,
      ).toBe(404);
      expect((await hub.partner('GET', `/admin/communications/${seedCommunication}`, undefined)).status).toBe(
        401,
      );
    });

    it('records lines seen before as duplicates and does not send them again', async () => {
      const again = await post(`Bearer ${tokenA}`, SEED_POST);
      expect(again.status).toBe(200);
      expect(again.json.CommunicationID).not.toBe(seedCommunication);
      const c = await communication(tokenA, again.json.CommunicationID);
      expect(c.json.Lines.map((l: { Status: string }) => l.Status)).toEqual([
        'duplicate',
        'duplicate',
        'duplicate',
      ]);
      expect(c.json.Status).toBe('delivered');
      // Repeated within one post (the case of a UUID does not matter): the first is processed.
      const id = randomUUID();
      const within = await post(tokenA, { repLines: [ohLine(id), ohLine(id.toUpperCase())] }); // a bare token
      expect(within.status).toBe(200);
      const w = await eventually(async () => {
        const x = await communication(tokenA, within.json.CommunicationID);
        return x.json.Lines[0].Status === 'delivered' ? x : undefined;
      });
      expect(w.json.Lines.map((l: { Status: string }) => l.Status)).toEqual(['delivered', 'duplicate']);
      await new Promise((r) => setTimeout(r, 300));
      expect(deliveriesOf(flex, seedIds)).toHaveLength(3);
      expect(deliveriesOf(flex, [id])).toHaveLength(1);
    });

    it('answers 503 (post again) for a line an earlier post claimed and never stored, and takes it over once that claim is stale', async () => {
      // What a post that died between claiming a line and storing it leaves: the claim alone.
      const claims = new CommunicationRepository(process.env[messagesTable.envVar] as string);
      const [fresh, stale] = [randomUUID(), randomUUID()];
      const expiresAt = Math.floor(Date.now() / 1000) + 3600;
      expect(await claims.claimLine('wms-a', fresh, 'cm_dead1', Date.now(), 0, expiresAt)).toBe('claimed');
      const longAgo = Date.now() - CLAIM_STALE_MS - 1_000;
      expect(await claims.claimLine('wms-a', stale, 'cm_dead2', longAgo, 0, expiresAt)).toBe('claimed');
      const refused = await post(`Bearer ${tokenA}`, { repLines: [ohLine(fresh)] });
      expect(refused.status).toBe(503);
      expect(refused.json.ResponseCode).toBe(503);
      const taken = await post(`Bearer ${tokenA}`, { repLines: [ohLine(stale)] });
      expect(taken.status).toBe(200);
      const c = await eventually(async () => {
        const x = await communication(tokenA, taken.json.CommunicationID);
        return x.json.Lines[0].Status === 'delivered' ? x : undefined;
      });
      expect(c.json.Lines.map((l: { Status: string }) => l.Status)).toEqual(['delivered']);
      expect(deliveriesOf(flex, [stale])).toHaveLength(1);
      expect(deliveriesOf(flex, [fresh])).toHaveLength(0);
    });

    it('keeps partners apart: own routes, own duplicates, and another partner’s post is 404', async () => {
      // wms-b posts the very same apiuuids: they are wms-b's first, and go to wms-b's system only.
      const r = await post(`Bearer ${tokenB}`, SEED_POST);
      expect(r.status).toBe(200);
      await eventually(async () => (deliveriesOf(flexB, seedIds).length >= 3 ? true : undefined));
      expect(flexB.received.every((s) => s.url.searchParams.get('sender') === 'wms-b')).toBe(true);
      const own = await communication(tokenB, r.json.CommunicationID);
      expect(own.json.Lines.map((l: { Status: string }) => l.Status)).not.toContain('duplicate');

      const foreign = await communication(tokenB, seedCommunication);
      expect(foreign.status).toBe(404);
      expect(foreign.json).toEqual({
        ResponseCode: 404,
        ResponseMessage: `Communication ${seedCommunication} is not known.`,
      });
      const unknown = await communication(tokenA, randomUUID().toUpperCase());
      expect(unknown.status).toBe(404);
      expect(unknown.json.ResponseCode).toBe(404);
      expect(flex.received.filter((s) => s.url.searchParams.get('sender') === 'wms-b')).toHaveLength(0);
      expect(deliveriesOf(flex, seedIds)).toHaveLength(3);
    });

    it('is 401 without a token and 403 for an invalid or expired one', async () => {
      const none = await post(undefined, { repLines: [ohLine()] });
      expect(none.status).toBe(401);
      expect(none.json).toMatchObject({ ResponseCode: 401 });
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect((await post(basic('a-user', 'a-user-password'), { repLines: [ohLine()] })).status).toBe(401);
      const invalid = await post('Bearer cdt_not-a-token', { repLines: [ohLine()] });
      expect(invalid.status).toBe(403);
      expect(invalid.json.ResponseMessage).toMatch(/invalid or no longer valid/);
      expect((await communication('cdt_not-a-token', seedCommunication)).status).toBe(403);
      expect((await hub.partner('GET', `/v1/communications/${seedCommunication}`, undefined)).status).toBe(
        401,
      );

      // wms-short's tokens live 1 ms (tokenTtlMs, set by the operator): ExpirationMs says so, and it is soon refused.
      const short = await generateToken(basic('short-user', 'short-password'));
      expect(short.json.ExpirationMs).toBe(1);
      const expired = await eventually(async () => {
        const x = await post(`Bearer ${short.json.AccessToken}`, { repLines: [ohLine()] });
        return x.status === 403 ? x : undefined;
      });
      expect(expired.json.ResponseCode).toBe(403);
    });

    it('is 402, writing nothing, when no integration carries the partner’s lines', async () => {
      const before = await written();
      const r = await post(`Bearer ${await tokenFor('none-user', 'none-user-password')}`, SEED_POST);
      expect(r.status).toBe(402);
      expect(r.json.ResponseCode).toBe(402);
      expect(r.json.ResponseMessage).toMatch(/^Input was in order, but the request was not processed/);
      expect(await written()).toEqual(before);
    });

    it('counts a filter that throws as false (402: nothing carries the lines), writing nothing', async () => {
      const before = await written();
      const r = await post(`Bearer ${await tokenFor('broken-user', 'broken-user-password')}`, SEED_POST);
      expect(r.status).toBe(402);
      expect(r.json.ResponseCode).toBe(402);
      expect(await written()).toEqual(before);
    });

    it('reports a line whose delivery failed, with the reason', async () => {
      const token = await tokenFor('fail-user', 'fail-user-password');
      const r = await post(`Bearer ${token}`, { repLines: [ohLine()] });
      expect(r.status).toBe(200);
      const c = await eventually(async () => {
        const x = await communication(token, r.json.CommunicationID);
        return x.json.Status === 'failed' ? x : undefined;
      });
      expect(c.json.Lines[0].Status).toBe('failed');
      expect(c.json.Lines[0].Errors[0]).toMatch(/HTTP 400/);
    });

    describe('bad input is answered cleanly and writes nothing', () => {
      // The same apiuuids are posted correctly at the end: had anything been claimed, they would be duplicates.
      const ids = Array.from({ length: 4 }, () => randomUUID());
      const valid = () => ({
        apiuuid: ids[0],
        apiid: 'PH',
        senderidentification: '3PL-name',
        nodes: [{ name: 'pallet_#', value: '1' }],
      });
      /** A valid post whose pallet number carries Latin-1 bytes (“Müller”), which are not UTF-8. */
      const latin1Post = () => {
        const [head, tail] = JSON.stringify({
          repLines: [{ ...valid(), nodes: [{ name: 'pallet_#', value: '|' }] }],
        }).split('|');
        return Buffer.concat([
          Buffer.from(head ?? ''),
          Buffer.from('Müller', 'latin1'),
          Buffer.from(tail ?? ''),
        ]);
      };
      const cases: [string, () => Promise<{ status: number; json: any }>, number, RegExp][] = [
        ['truncated JSON', () => post(tokenA, SEED_POST.slice(0, 300)), 400, /not valid JSON/],
        ['an empty body', () => post(tokenA, ''), 400, /JSON body/],
        [
          'a __proto__ key',
          () => post(tokenA, `{"repLines":[${JSON.stringify(valid())}],"__proto__":{"polluted":true}}`),
          400,
          /__proto__/,
        ],
        [
          'a __proto__ key inside a line',
          () => post(tokenA, `{"repLines":[{"__proto__":{"x":1},${JSON.stringify(valid()).slice(1)}]}`),
          400,
          /__proto__/,
        ],
        [
          'a post over the line limit',
          () =>
            post(tokenA, {
              repLines: Array.from({ length: 1001 }, (_, i) => ohLine(i < 4 ? ids[i] : randomUUID())),
            }),
          400,
          /at most 1000/,
        ],
        [
          'a 5 MB node value',
          () =>
            post(tokenA, {
              repLines: [{ ...valid(), nodes: [{ name: 'pallet_#', value: 'x'.repeat(5 * 1024 * 1024) }] }],
            }),
          413,
          /larger than/,
        ],
        [
          'a content type other than JSON',
          () => post(tokenA, { repLines: [valid()] }, 'text/plain'),
          499,
          /content type/i,
        ],
        ['bytes that are not UTF-8', () => post(tokenA, latin1Post()), 400, /not valid UTF-8/],
        [
          'bytes that are not UTF-8, which the gateway turned into U+FFFD',
          () => post(tokenA, latin1Post(), 'application/json'),
          400,
          /U\+FFFD/,
        ],
        [
          'an unknown apiid',
          () => post(tokenA, { repLines: [valid(), { ...ohLine(ids[1]), apiid: 'XX' }] }),
          400,
          /repLines\[1\]\.apiid/,
        ],
        [
          'a malformed apiuuid',
          () => post(tokenA, { repLines: [{ ...valid(), apiuuid: 'pallet-1' }] }),
          400,
          /repLines\[0\]\.apiuuid: must be a UUID/,
        ],
        [
          'a node name not in the dictionary',
          () =>
            post(tokenA, {
              repLines: [
                {
                  ...valid(),
                  nodes: [
                    { name: 'pallet_#', value: '1' },
                    { name: 'colour', value: 'red' },
                  ],
                },
              ],
            }),
          400,
          /repLines\[0\]\.nodes\[1\]\.name: "colour" is not a field of PH/,
        ],
        [
          'a missing required field',
          () => post(tokenA, { repLines: [{ ...valid(), nodes: [{ name: 'coolstore_c', value: '1ABC' }] }] }),
          400,
          /required field "pallet_#"/,
        ],
        [
          'an unknown property',
          () => post(tokenA, { repLines: [{ ...valid(), colour: 'red' }] }),
          400,
          /unknown property "colour"/,
        ],
      ];
      for (const [name, send, status, message] of cases) {
        it(`${name} → ${status}`, async () => {
          const before = await written();
          const r = await send();
          expect(r.status).toBe(status);
          expect(r.json.ResponseCode).toBe(status);
          expect(r.json.ResponseMessage).toMatch(message);
          expect(await written()).toEqual(before);
          expect(deliveriesOf(flex, ids)).toHaveLength(0);
        });
      }

      it('names every problem of a post with its line and field', async () => {
        const r = await post(tokenA, {
          repLines: [valid(), { ...ohLine(), apiid: 'ZZ' }, { ...ohLine(), apiuuid: 'x', nodes: [] }],
        });
        expect(r.status).toBe(400);
        expect(r.json.Errors).toEqual([
          { Line: 1, Field: 'apiid', Message: expect.any(String) },
          { Line: 2, Field: 'apiuuid', Message: expect.any(String) },
          { Line: 2, Field: 'nodes', Message: expect.any(String) },
        ]);
      });

      it('then takes the same apiuuids as new lines', async () => {
        const r = await post(tokenA, { repLines: [valid(), ohLine(ids[1]), ohLine(ids[2]), ohLine(ids[3])] });
        expect(r.status).toBe(200);
        const c = await communication(tokenA, r.json.CommunicationID);
        expect(c.json.Lines.map((l: { Status: string }) => l.Status)).not.toContain('duplicate');
      });
    });
  });

  describe('field dictionary (operator)', () => {
    it('ships with the seed’s fields and is extended per apiid', async () => {
      const list = await hub.admin('GET', '/admin/threepl/fields');
      expect(list.status).toBe(200);
      expect(list.json.dictionaries.map((d: { apiid: string }) => d.apiid)).toEqual([
        'PH',
        'PD',
        'HI',
        'OH',
        'OD',
        'LH',
        'DD',
        'LD',
      ]);
      expect(list.json.dictionaries[0]).toEqual({
        apiid: 'PH',
        fields: ['pallet_#', 'coolstore_c'],
        required: ['pallet_#'],
        open: false,
      });
      const line = () => ({
        apiuuid: randomUUID(),
        apiid: 'PH',
        senderidentification: '3PL-name',
        nodes: [
          { name: 'pallet_#', value: '1' },
          { name: 'variety_c', value: 'Gala' },
        ],
      });
      expect((await post(tokenA, { repLines: [line()] })).status).toBe(400);
      const put = await hub.admin('PUT', '/admin/threepl/fields/PH', { fields: ['variety_c'] });
      expect(put.status).toBe(200);
      expect(put.json.fields).toEqual(['pallet_#', 'coolstore_c', 'variety_c']);
      expect((await post(tokenA, { repLines: [line()] })).status).toBe(200);
      expect((await hub.admin('PUT', '/admin/threepl/fields/XX', { fields: [] })).status).toBe(404);
      expect(
        (await hub.admin('PUT', '/admin/threepl/fields/PH', { fields: [], required: ['nope'] })).status,
      ).toBe(400);
      expect((await hub.admin('PUT', '/admin/threepl/fields/PH', { fields: [] })).json.fields).toEqual([
        'pallet_#',
        'coolstore_c',
      ]);
      expect((await post(tokenA, { repLines: [line()] })).status).toBe(400);
    });
  });

  it('documents the 3PL routes and their error shape in OpenAPI', async () => {
    const doc = (await hub.partner('GET', '/openapi.json', undefined)).json;
    const op = doc.paths['/v1/replicationpost'].post;
    expect(op.security).toEqual([{ bearerToken: [] }]);
    expect(op.responses['402'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ThreeplResponse',
    );
    expect(doc.components.securitySchemes.basic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(doc.info.description).toContain('ExpirationMs is the token');
  });
});
