import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/** The foundation slice end to end: registry, POST /v1/messages, delivery to a real partner server. */
describe('messages: accept, store, route, deliver', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let acmeKey: string;
  let shipKey: string;
  let otherKey: string;
  let secret: string;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner((_r, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"accepted":true,"ref":"WMS-1"}');
    });
    for (const code of ['acme', 'ship', 'other']) {
      expect((await hub.admin('POST', '/admin/partners', { code, name: code })).status).toBe(201);
    }
    acmeKey = (await hub.admin('POST', '/admin/partners/acme/keys', {})).json.key;
    shipKey = (await hub.admin('POST', '/admin/partners/ship/keys', { scopes: ['messages'] })).json.key;
    otherKey = (await hub.admin('POST', '/admin/partners/other/keys', {})).json.key;
    const created = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('acme orders', 'ship', partner.url),
    );
    expect(created.status).toBe(201);
    secret = created.json.secret;
  });

  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  const post = (
    query: string,
    body: RequestInit['body'] | undefined,
    key: string | undefined = acmeKey,
    headers: Record<string, string> = {},
  ) =>
    hub.partner('POST', `/v1/messages?${query}`, key, {
      ...(body === undefined ? {} : { body }),
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('delivers a posted document to the receiver, signed, byte for byte, and reports it delivered', async () => {
    const doc = '{"orderNo":"SO-1","lines":[{"sku":"A","qty":2}]}';
    const accepted = await post('sender=acme&receiver=ship&doctype=order&version=2', doc);
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('x-request-id')).toBeTruthy();
    expect(accepted.json).toMatchObject({
      status: 'accepted',
      sender: 'acme',
      receiver: 'ship',
      doctype: 'order',
      version: '2',
      size: doc.length,
    });
    const id = accepted.json.id;

    const seen = await eventually(
      async () => partner.received.find((r) => r.headers['webhook-id']?.startsWith(id)),
      20_000,
      'delivery',
    );
    expect(seen.body.toString()).toBe(doc);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(Object.fromEntries(seen.url.searchParams)).toEqual({
      sender: 'acme',
      receiver: 'ship',
      doctype: 'order',
      version: '2',
    });
    expect(() => new Webhook(secret).verify(seen.body, seen.headers)).not.toThrow();

    const status = await eventually(async () => {
      const r = await hub.partner('GET', `/v1/messages/${id}`, shipKey);
      return r.json.status === 'delivered' ? r : undefined;
    });
    const [delivery] = status.json.deliveries;
    expect(delivery).toMatchObject({
      mode: 'push',
      status: 'delivered',
      response: { statusCode: 200, parsed: { ref: 'WMS-1' } },
    });
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ n: 1, statusCode: 200 });

    const payload = await hub.partner('GET', `/v1/messages/${id}/payload`, acmeKey);
    expect(payload.status).toBe(200);
    expect(payload.headers.get('content-type')).toBe('application/json');
    expect(payload.raw.toString()).toBe(doc);
  });

  it('keeps documents over the inline limit in S3 and hands them back byte for byte', async () => {
    const bytes = Buffer.alloc(200_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) % 256;
    const accepted = await post('sender=acme&receiver=ship&doctype=order', bytes, acmeKey, {
      'content-type': 'application/octet-stream',
    });
    expect(accepted.status).toBe(202);
    const seen = await eventually(async () =>
      partner.received.find((r) => r.headers['webhook-id']?.startsWith(accepted.json.id)),
    );
    expect(Buffer.compare(seen.body, bytes)).toBe(0);
    const payload = await hub.partner('GET', `/v1/messages/${accepted.json.id}/payload`, shipKey);
    expect(Buffer.compare(payload.raw, bytes)).toBe(0);
    expect(payload.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('keeps a document that is not UTF-8 byte for byte wherever the gateway passes its bytes on', async () => {
    // 27 bytes of Latin-1: “ü” and “é” are one byte each, and not UTF-8.
    const doc = Buffer.from('<o n="Müller">café</o>\n<x/>', 'latin1');
    expect(doc.length).toBe(27);
    for (const contentType of [
      'application/xml; charset=iso-8859-1',
      'text/plain; charset=windows-1252',
      'application/octet-stream',
    ]) {
      const accepted = await post('sender=acme&receiver=ship&doctype=order', doc, acmeKey, {
        'content-type': contentType,
      });
      expect(accepted.status, contentType).toBe(202);
      expect(accepted.json).toMatchObject({
        size: 27,
        sha256: createHash('sha256').update(doc).digest('hex'),
      });
      const payload = await hub.partner('GET', `/v1/messages/${accepted.json.id}/payload`, shipKey);
      expect(payload.headers.get('content-type')).toBe(contentType);
      expect(payload.raw.equals(doc), contentType).toBe(true);
      const seen = await eventually(async () =>
        partner.received.find((r) => r.headers['webhook-id']?.startsWith(accepted.json.id)),
      );
      expect(seen.body.equals(doc), contentType).toBe(true);
    }
  });

  it('answers a path whose %-escapes do not decode with 400, as the gateway does, before any handler', async () => {
    for (const path of [
      '/v1/messages/%ff%fe',
      '/v1/messages/%zz',
      '/v1/messages/50%',
      '/admin/partners/%c3',
    ]) {
      const r = await hub.partner('GET', path, acmeKey);
      expect(r.status, path).toBe(400);
      expect(r.json, path).toEqual({ message: 'Bad Request' });
    }
    // A path that decodes is routed as before.
    expect((await hub.partner('GET', '/v1/messages/msg%5Fnone', acmeKey)).status).toBe(404);
  });

  it('takes the key from the apikey query parameter as seed 000 does', async () => {
    const r = await post(`sender=acme&receiver=ship&doctype=order&apikey=${acmeKey}`, '{"a":1}', undefined);
    expect(r.status).toBe(202);
    await eventually(async () =>
      partner.received.find((x) => x.headers['webhook-id']?.startsWith(r.json.id)),
    );
  });

  describe('bad input is refused with a clear 4xx and nothing is written', () => {
    const cases: [string, () => Promise<{ status: number; json: any }>, number, string][] = [
      ['missing sender', () => post('receiver=ship&doctype=order', '{}'), 400, 'missing_parameter'],
      ['missing receiver', () => post('sender=acme&doctype=order', '{}'), 400, 'missing_parameter'],
      ['empty body', () => post('sender=acme&receiver=ship&doctype=order', ''), 400, 'empty_body'],
      ['no key', () => post('sender=acme&receiver=ship&doctype=order', '{}', ''), 401, 'unauthorized'],
      [
        'unknown key',
        () => post('sender=acme&receiver=ship&doctype=order', '{}', 'cdk_nope'),
        403,
        'forbidden',
      ],
      [
        'a key that is not the sender’s',
        () => post('sender=acme&receiver=ship&doctype=order', '{}', otherKey),
        403,
        'forbidden',
      ],
      ['unknown receiver', () => post('sender=acme&receiver=nobody&doctype=order', '{}'), 404, 'not_found'],
      [
        'no route for the doctype',
        () => post('sender=acme&receiver=ship&doctype=invoice', '{}'),
        422,
        'no_route',
      ],
      [
        'a doctype over 450 characters',
        () => post(`sender=acme&receiver=ship&doctype=${'d'.repeat(451)}`, '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'a version over 64 characters',
        () => post(`sender=acme&receiver=ship&doctype=order&version=${'v'.repeat(65)}`, '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'a NUL in the doctype',
        () => post('sender=acme&receiver=ship&doctype=order%00', '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'DEL in the doctype',
        () => post('sender=acme&receiver=ship&doctype=order%7F', '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'a C1 control in the version',
        () => post('sender=acme&receiver=ship&doctype=order&version=1%C2%85', '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'a right-to-left override in the version',
        () => post('sender=acme&receiver=ship&doctype=order&version=1%E2%80%AE2', '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'a bidi isolate in the version',
        () => post('sender=acme&receiver=ship&doctype=order&version=%E2%81%A62', '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'a left-to-right mark in the version',
        () => post('sender=acme&receiver=ship&doctype=order&version=2%E2%80%8E', '{}'),
        400,
        'invalid_parameter',
      ],
      [
        'a body over the cap',
        () => post('sender=acme&receiver=ship&doctype=order', Buffer.alloc(4 * 1024 * 1024 + 10, 97)),
        413,
        'payload_too_large',
      ],
    ];
    for (const [name, send, status, code] of cases) {
      it(`${name} → ${status}`, async () => {
        const before = await hub.storedMessageCount();
        const seenBefore = partner.received.length;
        const r = await send();
        expect(r.status).toBe(status);
        expect(r.json.error.code).toBe(code);
        expect(r.json.error.message).toMatch(/\w+ \w+/);
        expect(await hub.storedMessageCount()).toBe(before);
        await new Promise((res) => setTimeout(res, 300));
        expect(partner.received.length).toBe(seenBefore);
      });
    }

    it('a revoked key stops working at once → 403', async () => {
      const issued = await hub.admin('POST', '/admin/partners/acme/keys', { label: 'short-lived' });
      expect((await post('sender=acme&receiver=ship&doctype=order', '{}', issued.json.key)).status).toBe(202);
      expect((await hub.admin('DELETE', `/admin/partners/acme/keys/${issued.json.id}`)).status).toBe(204);
      const before = await hub.storedMessageCount();
      const r = await post('sender=acme&receiver=ship&doctype=order', '{}', issued.json.key);
      expect(r.status).toBe(403);
      expect(await hub.storedMessageCount()).toBe(before);
      expect((await hub.admin('DELETE', `/admin/partners/acme/keys/${issued.json.id}`)).status).toBe(404);
    });

    it('a key without the messages scope → 403', async () => {
      const erpOnly = await hub.admin('POST', '/admin/partners/acme/keys', { scopes: ['erp'] });
      expect((await post('sender=acme&receiver=ship&doctype=order', '{}', erpOnly.json.key)).status).toBe(
        403,
      );
    });
  });

  it('shows a message only to its sender and receiver: another partner gets 404', async () => {
    const accepted = await post('sender=acme&receiver=ship&doctype=order', '{"x":1}');
    const id = accepted.json.id;
    for (const path of [`/v1/messages/${id}`, `/v1/messages/${id}/payload`]) {
      const r = await hub.partner('GET', path, otherKey);
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe('not_found');
      expect((await hub.partner('GET', path, acmeKey)).status).toBe(200);
    }
    expect((await hub.partner('GET', '/v1/messages/msg_unknown', acmeKey)).status).toBe(404);
    expect((await hub.partner('GET', `/v1/messages/${id}`, undefined)).status).toBe(401);
  });

  it('answers the first message again for a repeated Idempotency-Key, and 409 for a different body', async () => {
    const headers = { 'idempotency-key': 'order-SO-77' };
    const first = await post('sender=acme&receiver=ship&doctype=order', '{"so":77}', acmeKey, headers);
    expect(first.status).toBe(202);
    const count = await hub.storedMessageCount();
    const again = await post('sender=acme&receiver=ship&doctype=order', '{"so":77}', acmeKey, headers);
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    const different = await post('sender=acme&receiver=ship&doctype=order', '{"so":78}', acmeKey, headers);
    expect(different.status).toBe(409);
    expect(await hub.storedMessageCount()).toBe(count);
  });

  it('lets the operator read any message with every delivery and attempt', async () => {
    const accepted = await post('sender=acme&receiver=ship&doctype=order', '{"op":1}');
    const r = await eventually(async () => {
      const m = await hub.admin('GET', `/admin/messages/${accepted.json.id}`);
      return m.json.status === 'delivered' ? m : undefined;
    });
    expect(r.json.deliveries[0].attempts[0].statusCode).toBe(200);
    expect((await hub.admin('GET', '/admin/messages/msg_nope')).status).toBe(404);
  });
});
