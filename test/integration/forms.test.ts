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

  it('answers a form without payload 400 and stores nothing', async () => {
    const before = await hub.storedMessageCount();
    const form = new URLSearchParams({ sender: 'erp', receiver: 'wms', doctype: 'order' });
    const r = await hub.partner('POST', '/v1/messages', key, { body: form });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('empty_body');
    expect(await hub.storedMessageCount()).toBe(before);
  });
});
