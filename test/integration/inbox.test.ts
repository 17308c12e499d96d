import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';

/** Pull mode: the receiver's leased inbox. */
describe('inbox (pull delivery)', () => {
  let hub: TestHub;
  let senderKey: string;
  let inboxKey: string;
  let otherKey: string;

  beforeAll(async () => {
    hub = await startTestHub();
    for (const code of ['shop', 'erp', 'nosy'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    senderKey = (await hub.admin('POST', '/admin/partners/shop/keys', {})).json.key;
    inboxKey = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    otherKey = (await hub.admin('POST', '/admin/partners/nosy/keys', {})).json.key;
    const created = await hub.admin('POST', '/admin/integrations', {
      name: 'orders into the erp inbox',
      direction: 'Outbound',
      entity: '*',
      consentType: 'None',
      receiver: 'erp',
      delivery: { mode: 'pull' },
    });
    expect(created.status).toBe(201);
  });
  afterAll(() => hub?.stop());

  const send = async (doctype: string) => {
    const r = await hub.partner(
      'POST',
      `/v1/messages?sender=shop&receiver=erp&doctype=${doctype}`,
      senderKey,
      { body: `{"d":"${doctype}"}` },
    );
    expect(r.status).toBe(202);
    return r.json.id as string;
  };
  const pull = (query = '') => hub.partner('GET', `/v1/inbox?${query}`, inboxKey);
  const done = (items: unknown) =>
    hub.partner('POST', '/v1/inbox/done', inboxKey, {
      body: JSON.stringify(items),
      headers: { 'content-type': 'application/json' },
    });

  it('leases oldest first, hides leased items, completes them by handle, and refuses stale handles', async () => {
    const ids = [await send('a'), await send('b'), await send('c')];
    const first = await pull('limit=2');
    expect(first.status).toBe(200);
    expect(first.json.messages.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 2));
    expect(first.json.messages[0]).toMatchObject({ sender: 'shop', doctype: 'a', size: 9 });
    const second = await pull('limit=10');
    expect(second.json.messages.map((m: { id: string }) => m.id)).toEqual([ids[2]]);
    expect((await hub.partner('GET', '/v1/inbox', otherKey)).json.messages).toEqual([]);

    const leases = [...first.json.messages, ...second.json.messages];
    const ok = await done(
      leases.map((m: { id: string; receiptHandle: string }) => ({
        id: m.id,
        receiptHandle: m.receiptHandle,
      })),
    );
    expect(ok.json).toEqual({ success: true });
    const status = await hub.partner('GET', `/v1/messages/${ids[0]}`, inboxKey);
    expect(status.json).toMatchObject({
      status: 'delivered',
      deliveries: [{ mode: 'pull', status: 'delivered' }],
    });
    expect((await pull()).json.messages).toEqual([]);

    const again = await done([
      { id: leases[0].id, receiptHandle: leases[0].receiptHandle },
      { id: 'msg_unknown', receiptHandle: 'int_x.AAAAAAAAAAAAAAAAAAAAAA' },
    ]);
    expect(again.json.success).toBe(false);
    expect(again.json.failed.map((f: { id: string }) => f.id)).toEqual([leases[0].id, 'msg_unknown']);
  });

  it('brings an item back with a new handle when its lease ends; the old handle is then stale', async () => {
    const id = await send('lease');
    const leased = await pull('visibilityTimeout=1');
    const old = leased.json.messages.find((m: { id: string }) => m.id === id);
    expect(old).toBeDefined();
    const back = await eventually(
      async () => {
        const r = await pull();
        return r.json.messages.find((m: { id: string }) => m.id === id);
      },
      10_000,
      'the lease to end',
    );
    expect(back.receiptHandle).not.toBe(old.receiptHandle);
    const stale = await done([{ id, receiptHandle: old.receiptHandle }]);
    expect(stale.json.failed).toHaveLength(1);
    expect((await done([{ id, receiptHandle: back.receiptHandle }])).json).toEqual({ success: true });
  });

  it('never leases one item to two concurrent readers', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 60; i++) ids.add(await send(`p${i}`));
    const seen: string[] = [];
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (;;) {
          const r = await pull('limit=7');
          if (r.json.messages.length === 0) return;
          seen.push(...r.json.messages.map((m: { id: string }) => m.id));
        }
      }),
    );
    expect(seen.length).toBe(ids.size);
    expect(new Set(seen)).toEqual(ids);
  });

  it('answers bad input with 400 and a missing key with 401', async () => {
    expect((await pull('limit=0')).status).toBe(400);
    expect((await pull('limit=101')).status).toBe(400);
    expect((await pull('visibilityTimeout=0')).status).toBe(400);
    // Digits only, as the ERP face reads them: Number() alone would take these as 1000, 16, 5 and 10.
    for (const q of [
      'visibilityTimeout=1e3',
      'visibilityTimeout=0x10',
      'visibilityTimeout=+5',
      'limit=1e1',
      'limit=10.0',
    ]) {
      const r = await pull(q);
      expect(r.status, q).toBe(400);
      expect(r.json.error.code).toBe('invalid_parameter');
    }
    expect((await done({ id: 'x' })).status).toBe(400);
    expect((await done([{ id: 'x', receiptHandle: 'y', extra: 1 }])).status).toBe(400);
    expect((await hub.partner('GET', '/v1/inbox', undefined)).status).toBe(401);
  });
});
