import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHubWithErpToWms, type TestHub } from '../support/hub.js';
import type { startPartner } from '../support/partner-server.js';

// One hub per file: the handlers' AWS clients are made once per process.

describe('form posts (urlencoded and multipart)', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key: string;

  let fixture: Awaited<ReturnType<typeof startHubWithErpToWms>> | undefined;

  beforeAll(async () => {
    fixture = await startHubWithErpToWms('form orders');
    ({ hub, partner, key } = fixture);
  });
  afterAll(() => fixture?.stop());

  const delivered = (id: string) =>
    eventually(async () => partner.received.find((r) => r.headers['webhook-id']?.startsWith(id)));

  it('takes parameters and the document from a urlencoded form', async () => {
    const form = new URLSearchParams({
      sender: 'erp',
      receiver: 'wms',
      doctype: 'order',
      apikey: key,
      payload: '<order no="1"/>',
    });
    const r = await hub.partner('POST', '/v1/messages', undefined, { body: form });
    expect(r.status).toBe(202);
    const seen = await delivered(r.json.id);
    expect(seen.body.toString()).toBe('<order no="1"/>');
    expect(seen.headers['content-type']).toBe('application/xml');
  });

  it('takes a multipart file `payload` byte for byte with its own content type', async () => {
    const bytes = Buffer.from([0x50, 0x4b, 3, 4, 0, 255, 10, 13]);
    const form = new FormData();
    form.set('sender', 'erp');
    form.set('receiver', 'wms');
    form.set('doctype', 'order');
    form.set('payload', new Blob([bytes], { type: 'application/zip' }), 'orders.zip');
    const r = await hub.partner('POST', '/v1/messages', key, { body: form });
    expect(r.status).toBe(202);
    const seen = await delivered(r.json.id);
    expect(Buffer.compare(seen.body, bytes)).toBe(0);
    expect(seen.headers['content-type']).toBe('application/zip');
  });

  it('keeps a `payload` field that is not UTF-8 byte for byte, urlencoded or multipart', async () => {
    const doc = Buffer.from('<o n="Müller">café</o>', 'latin1');
    const urlencoded = `sender=erp&receiver=wms&doctype=order&payload=${[...doc].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`;
    const boundary = 'edge-boundary';
    const multipart = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="sender"\r\n\r\nerp\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="receiver"\r\n\r\nwms\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="doctype"\r\n\r\norder\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="payload"\r\n\r\n`,
      ),
      doc,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    for (const [contentType, body] of [
      ['application/x-www-form-urlencoded', urlencoded],
      [`multipart/form-data; boundary=${boundary}`, multipart],
    ] as const) {
      const r = await hub.partner('POST', '/v1/messages', key, {
        body,
        headers: { 'content-type': contentType },
      });
      expect(r.status, contentType).toBe(202);
      expect(r.json.size).toBe(doc.length);
      const seen = await delivered(r.json.id);
      expect(seen.body.equals(doc), contentType).toBe(true);
      expect(seen.headers['content-type']).toBe('application/xml');
    }
  });

  it('checks doctype and version fields as it checks query parameters', async () => {
    const before = await hub.storedMessageCount();
    for (const [field, value] of [
      ['doctype', 'order\u0000'],
      ['version', '1\u202e'],
      ['version', 'v'.repeat(65)],
    ] as const) {
      const form = new FormData();
      for (const [k, v] of Object.entries({
        sender: 'erp',
        receiver: 'wms',
        doctype: 'order',
        [field]: value,
      }))
        form.set(k, v);
      form.set('payload', '<order/>');
      const r = await hub.partner('POST', '/v1/messages', key, { body: form });
      expect(r.status, `${field} ${JSON.stringify(value).slice(0, 20)}`).toBe(400);
      expect(r.json.error.code).toBe('invalid_parameter');
    }
    expect(await hub.storedMessageCount()).toBe(before);
  });

  it('answers a form without payload 400 and stores nothing', async () => {
    const before = await hub.storedMessageCount();
    const form = new URLSearchParams({ sender: 'erp', receiver: 'wms', doctype: 'order' });
    const r = await hub.partner('POST', '/v1/messages', key, { body: form });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('empty_body');
    expect(await hub.storedMessageCount()).toBe(before);
  });
});
