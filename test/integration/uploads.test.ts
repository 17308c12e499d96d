import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHubWithErpToWms, type TestHub } from '../support/hub.js';
import type { startPartner } from '../support/partner-server.js';

/** Large documents: a presigned PUT, and the message accepted when the upload lands. */
describe('uploads (POST /v1/messages/uploads)', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key: string;

  let fixture: Awaited<ReturnType<typeof startHubWithErpToWms>> | undefined;

  beforeAll(async () => {
    fixture = await startHubWithErpToWms('big orders');
    ({ hub, partner, key } = fixture);
  });
  afterAll(() => fixture?.stop());

  const announce = (query: string) => hub.partner('POST', `/v1/messages/uploads?${query}`, key);

  it('accepts the message when exactly the announced bytes land, and delivers them', async () => {
    const doc = Buffer.from(`<orders>${'<order>x</order>'.repeat(20_000)}</orders>`);
    const created = await announce(
      `sender=erp&receiver=wms&doctype=order&size=${doc.length}&contentType=application/xml`,
    );
    expect(created.status).toBe(201);
    expect(created.json.uploadUrl).toMatch(/X-Amz-Signature=/);
    expect(Date.parse(created.json.expiresAt)).toBeGreaterThan(Date.now());
    const put = await fetch(created.json.uploadUrl, {
      method: 'PUT',
      body: doc,
      headers: { 'content-type': 'application/xml' },
    });
    expect(put.status).toBe(200);
    const seen = await eventually(async () =>
      partner.received.find((r) => r.headers['webhook-id']?.startsWith(created.json.id)),
    );
    expect(Buffer.compare(seen.body, doc)).toBe(0);
    const m = await hub.partner('GET', `/v1/messages/${created.json.id}`, key);
    expect(m.json).toMatchObject({ status: 'delivered', size: doc.length, contentType: 'application/xml' });
    const payload = await hub.partner('GET', `/v1/messages/${created.json.id}/payload`, key);
    expect(Buffer.compare(payload.raw, doc)).toBe(0);
    expect(payload.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('hands a document over 4 MiB back through a presigned S3 GET (307)', async () => {
    const doc = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < doc.length; i++) doc[i] = (i * 7919) % 251;
    const created = await announce(`sender=erp&receiver=wms&doctype=order&size=${doc.length}`);
    const put = await fetch(created.json.uploadUrl, {
      method: 'PUT',
      body: doc,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.status).toBe(200);
    await eventually(async () =>
      partner.received.find((r) => r.headers['webhook-id']?.startsWith(created.json.id)),
    );
    const r = await fetch(`${hub.url}/v1/messages/${created.json.id}/payload`, {
      headers: { 'x-api-key': key },
      redirect: 'manual',
    });
    expect(r.status).toBe(307);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const location = r.headers.get('location') ?? '';
    expect(location).toMatch(/X-Amz-Signature=/);
    const fetched = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(Buffer.compare(fetched, doc)).toBe(0);
  });

  it('serves what was accepted: a later PUT to the upload URL changes no payload answer, and is noted', async () => {
    const doc = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < doc.length; i++) doc[i] = (i * 31) % 253;
    const created = await announce(`sender=erp&receiver=wms&doctype=order&size=${doc.length}`);
    const uploadUrl = created.json.uploadUrl as string;
    const put = (body: Buffer) =>
      fetch(uploadUrl, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
    expect((await put(doc)).status).toBe(200);
    await eventually(async () =>
      partner.received.find((r) => r.headers['webhook-id']?.startsWith(created.json.id)),
    );
    const accepted = (await hub.partner('GET', `/v1/messages/${created.json.id}`, key)).json;
    expect(accepted.sha256).toBe(createHash('sha256').update(doc).digest('hex'));

    // The URL is still valid, so S3 takes the write; the hub notices it and serves what it accepted.
    const other = Buffer.alloc(doc.length, 0x41);
    expect((await put(other)).status).toBe(200);
    const noted = await eventually(async () => {
      const m = (await hub.partner('GET', `/v1/messages/${created.json.id}`, key)).json;
      return m.note ? m : undefined;
    });
    expect(noted.note).toMatch(/written again after the message was accepted/);
    expect(noted.sha256).toBe(accepted.sha256);
    expect((await hub.admin('GET', `/admin/messages/${created.json.id}`)).json.note).toBe(noted.note);
    const r = await fetch(`${hub.url}/v1/messages/${created.json.id}/payload`, {
      headers: { 'x-api-key': key },
      redirect: 'manual',
    });
    expect(r.status).toBe(307);
    const served = Buffer.from(await (await fetch(r.headers.get('location') ?? '')).arrayBuffer());
    expect(createHash('sha256').update(served).digest('hex')).toBe(accepted.sha256);
  });

  it('serves an HTML document with its type and nosniff, so no browser reads it as anything else', async () => {
    const html = '<html><body><script>alert(1)</script></body></html>';
    const posted = await hub.partner('POST', '/v1/messages?sender=erp&receiver=wms&doctype=order', key, {
      body: html,
      headers: { 'content-type': 'text/html' },
    });
    expect(posted.status).toBe(202);
    const payload = await hub.partner('GET', `/v1/messages/${posted.json.id}/payload`, key);
    expect(payload.status).toBe(200);
    expect(payload.raw.toString()).toBe(html);
    expect(payload.headers.get('content-type')).toMatch(/^text\/html/);
    expect(payload.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses an upload of another size or content type at the presigned URL; no message appears', async () => {
    const created = await announce('sender=erp&receiver=wms&doctype=order&size=10&contentType=text/plain');
    const bigger = await fetch(created.json.uploadUrl, {
      method: 'PUT',
      body: '01234567890',
      headers: { 'content-type': 'text/plain' },
    });
    expect(bigger.status).toBe(403);
    const otherType = await fetch(created.json.uploadUrl, {
      method: 'PUT',
      body: '0123456789',
      headers: { 'content-type': 'text/html' },
    });
    expect(otherType.status).toBe(403);
    await new Promise((r) => setTimeout(r, 500));
    expect((await hub.partner('GET', `/v1/messages/${created.json.id}`, key)).status).toBe(404);
  });

  it('checks the announcement like a post: 400, 401, 403, 404, 422, nothing recorded', async () => {
    expect((await announce('receiver=wms&doctype=order&size=10')).status).toBe(400);
    expect((await announce('sender=erp&receiver=wms&doctype=order')).status).toBe(400);
    expect((await announce('sender=erp&receiver=wms&doctype=order&size=0')).status).toBe(400);
    expect((await announce(`sender=erp&receiver=wms&doctype=order&size=${11 * 1024 * 1024}`)).status).toBe(
      400,
    );
    expect(
      (await announce('sender=erp&receiver=wms&doctype=order&size=5&contentType=not a type')).status,
    ).toBe(400);
    expect(
      (await hub.partner('POST', '/v1/messages/uploads?sender=erp&receiver=wms&size=5', undefined)).status,
    ).toBe(401);
    expect((await announce('sender=wms&receiver=erp&doctype=order&size=5')).status).toBe(403);
    expect((await announce('sender=erp&receiver=ghost&doctype=order&size=5')).status).toBe(404);
    expect((await announce('sender=erp&receiver=wms&doctype=invoice&size=5')).status).toBe(422);
  });

  it('reads size as digits only, and checks doctype and version as a post does', async () => {
    for (const size of ['1e3', '0x10', '+5', '5.0', '%205', 'Infinity', '1000.']) {
      const r = await announce(`sender=erp&receiver=wms&doctype=order&size=${size}`);
      expect(r.status, size).toBe(400);
      expect(r.json.error.message).toMatch(/size/);
    }
    for (const bad of [
      'doctype=order%00',
      `doctype=${'d'.repeat(451)}`,
      'doctype=order&version=%E2%80%AE1',
    ]) {
      const r = await announce(`sender=erp&receiver=wms&${bad}&size=5`);
      expect(r.status, bad).toBe(400);
      expect(r.json.error.code).toBe('invalid_parameter');
    }
    expect((await announce('sender=erp&receiver=wms&doctype=order&size=1000')).status).toBe(201);
  });
});
