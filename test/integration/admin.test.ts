import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '../../functions/adapters/aws.js';
import { PARTNER_CODE_TAKEOVER_MS, RegistryRepository } from '../../functions/adapters/registry.js';
import { registryTable } from '../../lib/resources.js';
import { outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';

describe('operator API: partners, keys, integrations', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    for (const code of ['erp1', 'wms1'])
      await hub.admin('POST', '/admin/partners', { code, name: `Partner ${code}` });
  });
  afterAll(() => hub?.stop());

  /** An admin POST /admin/partners with this Content-Type and raw body. */
  const send = (contentType: string, body: string | Buffer) =>
    hub.partner('POST', '/admin/partners', undefined, {
      headers: { authorization: `Bearer ${hub.adminKey}`, 'content-type': contentType },
      body,
    });

  it('refuses a missing or wrong admin key with 401', async () => {
    const none = await hub.partner('GET', '/admin/partners', undefined);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe('unauthorized');
    const wrong = await hub.partner('GET', '/admin/partners', undefined, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
  });

  it('registers, lists and reads partners; a taken code is 409, a bad code or unknown property 400', async () => {
    const created = await hub.admin('POST', '/admin/partners', { code: 'acme.eu-1', name: 'Acme EU' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ code: 'acme.eu-1', name: 'Acme EU' });
    expect((await hub.admin('POST', '/admin/partners', { code: 'acme.eu-1', name: 'again' })).status).toBe(
      409,
    );
    const bad = await hub.admin('POST', '/admin/partners', { code: '-starts-with-dash', name: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^code:/);
    const unknown = await hub.admin('POST', '/admin/partners', { code: 'zz', name: 'x', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ code: 'unknown_property' });
    expect(unknown.json.error.message).toContain('colour');
    const proto = await send('application/json', '{"code":"pp","name":"x","__proto__":{"admin":true}}');
    expect(proto.status).toBe(400);
    const list = await hub.admin('GET', '/admin/partners');
    expect(list.json.partners.map((p: { code: string }) => p.code).sort()).toEqual([
      'acme.eu-1',
      'erp1',
      'wms1',
    ]);
    expect((await hub.admin('GET', '/admin/partners/zz')).status).toBe(404);
  });

  describe('partner codes are unique regardless of case', () => {
    const table = () => process.env[registryTable.envVar] as string;
    const codes = async () =>
      (await hub.admin('GET', '/admin/partners')).json.partners.map((p: { code: string }) => p.code);

    it('refuses another case of a taken code with 409, and keeps and finds the code as typed', async () => {
      expect((await hub.admin('POST', '/admin/partners', { code: 'WMS', name: 'Warehouse' })).status).toBe(
        201,
      );
      for (const code of ['wms', 'Wms', 'WMS']) {
        const again = await hub.admin('POST', '/admin/partners', { code, name: 'Another' });
        expect(again.status, code).toBe(409);
        expect(again.json.error.code).toBe('partner_exists');
      }
      expect(await codes()).toContain('WMS');
      expect(await codes()).not.toContain('wms');
      expect((await hub.admin('GET', '/admin/partners/WMS')).json).toMatchObject({
        code: 'WMS',
        name: 'Warehouse',
      });
      // The code is an identifier: lookups are exact.
      expect((await hub.admin('GET', '/admin/partners/wms')).status).toBe(404);
    });

    it('guards partners stored before codes had guards', async () => {
      // A table written by the code before: a partner without its guard, and no backfill marker.
      const db = dynamoClient();
      await db.send(new DeleteCommand({ TableName: table(), Key: { pk: 'PARTNER_CODE', sk: 'BACKFILLED' } }));
      const legacy = { code: 'Legacy', name: 'Old', createdAt: '2026-01-01T00:00:00.000Z' };
      await db.send(
        new PutCommand({
          TableName: table(),
          Item: { pk: 'PARTNER#Legacy', sk: 'PARTNER', kind: 'partner', kindSort: 'Legacy', ...legacy },
        }),
      );
      expect((await hub.admin('POST', '/admin/partners', { code: 'LEGACY', name: 'New' })).status).toBe(409);
      expect((await hub.admin('POST', '/admin/partners', { code: 'legacy', name: 'New' })).status).toBe(409);
      expect((await codes()).filter((c: string) => c.toLowerCase() === 'legacy')).toEqual(['Legacy']);
    });

    it('takes over a guard left without its partner only once its creator must be dead', async () => {
      const registry = new RegistryRepository(table());
      const now = Date.parse('2026-11-23T10:00:00Z');
      // A create that crashed between its two writes: the guard of "Crashed", no partner.
      await dynamoClient().send(
        new PutCommand({
          TableName: table(),
          Item: { pk: 'PARTNER_CODE#crashed', sk: 'CODE', partnerCode: 'Crashed', claimedAt: now },
        }),
      );
      const partner = (code: string) => ({ code, name: code, createdAt: new Date(now).toISOString() });
      expect(await registry.createPartner(partner('crashed'), now + 1_000)).toBe(false);
      expect(await registry.createPartner(partner('crashed'), now + PARTNER_CODE_TAKEOVER_MS + 1)).toBe(true);
      expect(await registry.getPartner('crashed')).toMatchObject({ code: 'crashed' });
      expect(await registry.getPartner('Crashed')).toBeUndefined();
      // From then on the guard names a partner that exists: taken for good, in any case.
      const later = now + 10 * PARTNER_CODE_TAKEOVER_MS;
      expect(await registry.createPartner(partner('CRASHED'), later)).toBe(false);
    });
  });

  it('takes JSON bodies only under a JSON content type: 415 in the hub’s error shape, nothing written', async () => {
    const body = '{"code":"typed","name":"Typed"}';
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded']) {
      const r = await send(type, body);
      expect(r.status, type).toBe(415);
      expect(r.json.error.code).toBe('unsupported_media_type');
      expect(r.json.error.message).toMatch(/application\/json/);
    }
    const untyped = await hub.partner('POST', '/admin/partners', undefined, {
      headers: { authorization: `Bearer ${hub.adminKey}` },
      body: Buffer.from(body),
    });
    expect(untyped.status).toBe(415);
    expect((await hub.admin('GET', '/admin/partners/typed')).status).toBe(404);
    // A key needs no body; an unauthenticated caller is told about the key first.
    expect((await hub.partner('POST', '/admin/partners', undefined, { body })).status).toBe(401);
    expect((await send('application/json; charset=utf-8', body)).status).toBe(201);
  });

  it('refuses JSON that is not UTF-8 with 400 instead of storing U+FFFD', async () => {
    const latin1 = Buffer.concat([
      Buffer.from('{"code":"latin1","name":"'),
      Buffer.from('Müller', 'latin1'),
      Buffer.from('"}'),
    ]);
    // Sent with another charset spelling, the gateway passes the bytes on as they are.
    const raw = await send('application/json; charset=utf8', latin1);
    expect(raw.status).toBe(400);
    expect(raw.json.error).toMatchObject({
      code: 'invalid_encoding',
      message: expect.stringMatching(/UTF-8/),
    });
    // Sent as plain application/json, the gateway hands over text in which they became U+FFFD.
    const replaced = await send('application/json', latin1);
    expect(replaced.status).toBe(400);
    expect(replaced.json.error.code).toBe('invalid_encoding');
    expect((await hub.admin('GET', '/admin/partners/latin1')).status).toBe(404);
    // A U+FFFD the operator means is taken when escaped.
    expect((await send('application/json', '{"code":"meant","name":"\\ufffd"}')).status).toBe(201);
  });

  it('issues scoped keys shown once and lists them without the secret', async () => {
    const key = await hub.admin('POST', '/admin/partners/erp1/keys', {
      scopes: ['erp', 'device'],
      mobileUser: 'u1',
      label: 'van 7',
    });
    expect(key.status).toBe(201);
    expect(key.json).toMatchObject({ scopes: ['erp', 'device'], mobileUser: 'u1' });
    expect(key.json.key).toMatch(/^cdk_/);
    const partner = await hub.admin('GET', '/admin/partners/erp1');
    expect(partner.json.keys).toHaveLength(1);
    expect(JSON.stringify(partner.json)).not.toContain(key.json.key);
    expect(partner.json.keys[0]).not.toHaveProperty('keyHash');
    expect((await hub.admin('POST', '/admin/partners/erp1/keys', { scopes: ['everything'] })).status).toBe(
      400,
    );
    expect((await hub.admin('POST', '/admin/partners/ghost/keys', {})).status).toBe(404);
  });

  describe('integrations', () => {
    const base = () =>
      outboundIntegration(`int-${Math.random().toString(36).slice(2)}`, 'wms1', 'https://wms.example.com/in');

    it('creates with FinanceKey defaults, shows the secret once, and lists without it', async () => {
      const created = await hub.admin('POST', '/admin/integrations', { ...base(), name: 'orders to wms' });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({
        active: true,
        maxAttempts: 4,
        batchSize: 10,
        parallel: true,
        includeUpdate: false,
      });
      expect(created.json.secret).toMatch(/^whsec_/);
      const read = await hub.admin('GET', `/admin/integrations/${created.json.id}`);
      expect(read.json.name).toBe('orders to wms');
      expect(read.json).not.toHaveProperty('secret');
      const list = await hub.admin('GET', '/admin/integrations');
      expect(JSON.stringify(list.json)).not.toContain(created.json.secret);
      expect(
        (await hub.admin('POST', '/admin/integrations', { ...base(), name: 'orders to wms' })).status,
      ).toBe(409);
    });

    const invalid: [string, Record<string, unknown>, RegExp][] = [
      ['includeUpdate on an inactive integration', { active: false, includeUpdate: true }, /includeUpdate/],
      ['continuous without includeUpdate', { continuous: true }, /continuous/],
      ['includeUpdate on Inbound', { direction: 'Inbound', includeUpdate: true }, /includeUpdate/],
      ['a name over 128 characters', { name: 'n'.repeat(129) }, /^name:/],
      ['maxAttempts 0', { maxAttempts: 0 }, /^maxAttempts:/],
      ['batchSize 1001', { batchSize: 1001 }, /^batchSize:/],
      ['a consentType over 64', { consentType: 'c'.repeat(65) }, /^consentType:/],
      ['an unknown receiver', { receiver: 'ghost' }, /receiver/],
      [
        'a retry schedule of the wrong length',
        { maxAttempts: 3, delivery: { retrySchedule: [60] } },
        /retrySchedule/,
      ],
      ['a retry step over 12 hours', { delivery: { retrySchedule: [60, 60, 43201] } }, /retrySchedule/],
      ['plain http to a public host', { delivery: { url: 'http://wms.example.com/in' } }, /https/],
      ['a private address', { delivery: { url: 'https://10.0.0.8/in' } }, /public/],
      ['a hex-encoded private address', { delivery: { url: 'https://0x0a000001/in' } }, /public/],
      ['a decimal-encoded metadata address', { delivery: { url: 'https://2852039166/latest' } }, /public/],
      ['an invalid JSONata filter', { filter: '$$$(' }, /filter/],
      ['a header the hub sets', { delivery: { headers: { 'webhook-id': 'x' } } }, /headers/],
      // Header values Node refuses to send (ERR_INVALID_CHAR) are refused here, naming the header.
      ['a CRLF in a header value', { delivery: { headers: { 'X-Tag': 'a\r\nX-Evil: 1' } } }, /X-Tag/],
      ['a NUL in a header value', { delivery: { headers: { 'X-Tag': 'a\u0000b' } } }, /X-Tag/],
      ['a header value beyond Latin-1', { delivery: { headers: { 'X-Price': '5 €' } } }, /X-Price/],
      ...['connection', 'Keep-Alive', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization'].map(
        (name): [string, Record<string, unknown>, RegExp] => [
          `the hop-by-hop header ${name}`,
          { delivery: { headers: { [name]: 'x' } } },
          new RegExp(name),
        ],
      ),
      ['an unknown delivery property', { delivery: { retries: 3 } }, /retries/],
    ];
    for (const [name, change, message] of invalid) {
      it(`refuses ${name} with a 400 that names the field, writing nothing`, async () => {
        const before = (await hub.admin('GET', '/admin/integrations')).json.integrations.length;
        const body = base() as Record<string, unknown>;
        const { delivery, ...rest } = change;
        const r = await hub.admin('POST', '/admin/integrations', {
          ...body,
          ...rest,
          delivery: { ...(body.delivery as object), ...(delivery as object) },
        });
        expect(r.status).toBe(400);
        expect(r.json.error.message).toMatch(message);
        expect((await hub.admin('GET', '/admin/integrations')).json.integrations.length).toBe(before);
      });
    }

    it('patches with every rule applied to the result, renames, and deletes', async () => {
      const created = await hub.admin('POST', '/admin/integrations', { ...base(), name: 'to patch' });
      const id = created.json.id;
      const patched = await hub.admin('PATCH', `/admin/integrations/${id}`, {
        includeUpdate: true,
        notes: 'ok',
      });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({
        includeUpdate: true,
        notes: 'ok',
        name: 'to patch',
        batchSize: 10,
      });
      const breaking = await hub.admin('PATCH', `/admin/integrations/${id}`, { active: false });
      expect(breaking.status).toBe(400);
      expect((await hub.admin('GET', `/admin/integrations/${id}`)).json.active).toBe(true);
      const renamed = await hub.admin('PATCH', `/admin/integrations/${id}`, { name: 'patched' });
      expect(renamed.json.name).toBe('patched');
      // The old name is free again, the new one is taken.
      expect((await hub.admin('POST', '/admin/integrations', { ...base(), name: 'to patch' })).status).toBe(
        201,
      );
      expect((await hub.admin('POST', '/admin/integrations', { ...base(), name: 'patched' })).status).toBe(
        409,
      );
      expect((await hub.admin('DELETE', `/admin/integrations/${id}`)).status).toBe(204);
      expect((await hub.admin('GET', `/admin/integrations/${id}`)).status).toBe(404);
      expect((await hub.admin('DELETE', `/admin/integrations/${id}`)).status).toBe(404);
    });
  });

  it('serves health and an OpenAPI 3.1 document generated from the request schemas', async () => {
    const health = await hub.partner('GET', '/health', undefined);
    expect(health.json).toMatchObject({ status: 'ok' });
    const doc = await hub.partner('GET', '/openapi.json', undefined);
    expect(doc.json.openapi).toBe('3.1.0');
    const create = doc.json.paths['/admin/integrations'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'direction', 'entity', 'consentType']));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.batchSize).toMatchObject({ maximum: 1000, minimum: 1 });
    expect(Object.keys(doc.json.paths['/v1/messages/{id}'])).toEqual(['get']);
  });
});
