import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubWithErpToWms } from '../support/hub.js';

/** GET /admin/messages/{id}/payload: the operator reads any message's document (the console's preview). */
describe('the operator reads a message’s document', () => {
  let world: Awaited<ReturnType<typeof startHubWithErpToWms>>;
  beforeAll(async () => {
    world = await startHubWithErpToWms('orders to wms');
  });
  afterAll(async () => world?.stop());

  const post = async (contentType: string, body: string) => {
    const r = await world.hub.partner(
      'POST',
      '/v1/messages?sender=erp&receiver=wms&doctype=order',
      world.key,
      {
        headers: { 'content-type': contentType },
        body,
      },
    );
    expect(r.status).toBe(202);
    return r.json.id as string;
  };

  it('answers the document as sent, with its content type and nosniff, small or kept in S3', async () => {
    const big = JSON.stringify({
      lines: Array.from({ length: 400 }, (_, i) => ({ sku: `SKU-${i}`, qty: i })),
    });
    for (const [type, body] of [
      ['application/json', '{"orderNo":"SO-1"}'],
      ['application/xml', '<order><no>SO-2</no></order>'],
      ['application/json', big],
    ] as const) {
      const id = await post(type, body);
      const r = await world.hub.admin('GET', `/admin/messages/${id}/payload`);
      expect(r.status).toBe(200);
      expect(r.raw.toString()).toBe(body);
      expect(r.headers.get('content-type')).toContain(type);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('is 404 for an unknown message and 401 without the admin key', async () => {
    expect((await world.hub.admin('GET', '/admin/messages/msg_nope/payload')).status).toBe(404);
    const id = await post('application/json', '{"a":1}');
    expect((await world.hub.partner('GET', `/admin/messages/${id}/payload`, undefined)).status).toBe(401);
    // A partner key is not the admin key.
    expect((await world.hub.partner('GET', `/admin/messages/${id}/payload`, world.key)).status).toBe(401);
  });
});
