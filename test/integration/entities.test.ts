import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient } from '../../functions/adapters/aws.js';
import { messagesTable } from '../../lib/resources.js';
import { startTestHub, type TestHub } from '../support/hub.js';

describe('entity rows (Contract v2, "Entities")', () => {
  let hub: TestHub;
  let teamogy: string;
  let other: string;
  let messagesOnly: string;
  beforeAll(async () => {
    hub = await startTestHub();
    for (const code of ['teamogy', 'other']) await hub.admin('POST', '/admin/partners', { code, name: code });
    teamogy = (await hub.admin('POST', '/admin/partners/teamogy/keys', {})).json.key;
    other = (await hub.admin('POST', '/admin/partners/other/keys', {})).json.key;
    messagesOnly = (await hub.admin('POST', '/admin/partners/teamogy/keys', { scopes: ['messages'] })).json
      .key;
  });
  afterAll(() => hub?.stop());

  const put = (key: string | undefined, path: string, body: unknown, headers: Record<string, string> = {}) =>
    hub.partner('PUT', path, key, {
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** Every stored row item (a test-only Scan). */
  const rowItems = async () =>
    (
      await dynamoClient().send(
        new ScanCommand({
          TableName: process.env[messagesTable.envVar],
          FilterExpression: 'sk = :r',
          ExpressionAttributeValues: { ':r': 'ROW' },
        }),
      )
    ).Items ?? [];

  it('gives a key made without scopes the entities scope', async () => {
    const key = await hub.admin('POST', '/admin/partners/other/keys', {});
    expect(key.json.scopes).toEqual(['messages', 'erp', 'device', 'entities']);
  });

  it('creates a row at version 1, changes it to version 2, and an identical body changes nothing', async () => {
    const created = await put(teamogy, '/v1/entities/Invoice/inv-1', {
      number: 'F-1',
      status: 'DRAFT',
      total: 10,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      entity: 'Invoice',
      id: 'inv-1',
      version: 1,
      owner: 'teamogy',
      queued: [],
    });
    expect(created.headers.get('etag')).toBe('"1"');

    const changed = await put(teamogy, '/v1/entities/Invoice/inv-1', {
      number: 'F-1',
      status: 'APPROVED',
      total: 10,
    });
    expect(changed.status).toBe(200);
    expect(changed.json.version).toBe(2);

    // The same object with its keys in another order is the same row.
    const same = await put(teamogy, '/v1/entities/Invoice/inv-1', {
      total: 10,
      status: 'APPROVED',
      number: 'F-1',
    });
    expect(same.status).toBe(200);
    expect(same.json).toMatchObject({ version: 2, queued: [] });
    expect(same.json.updatedAt).toBe(changed.json.updatedAt);

    const read = await hub.partner('GET', '/v1/entities/Invoice/inv-1', teamogy);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"2"');
    expect(read.json).toMatchObject({
      entity: 'Invoice',
      id: 'inv-1',
      version: 2,
      owner: 'teamogy',
      data: { number: 'F-1', status: 'APPROVED', total: 10 },
      deliveries: [],
    });
    expect(read.json.readers).toBeUndefined();
  });

  it('applies If-Match: the current version writes, another is 412, a malformed one 400', async () => {
    await put(teamogy, '/v1/entities/Invoice/inv-2', { n: 1 });
    const stale = await put(teamogy, '/v1/entities/Invoice/inv-2', { n: 2 }, { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.json.error.code).toBe('precondition_failed');
    const bad = await put(teamogy, '/v1/entities/Invoice/inv-2', { n: 2 }, { 'if-match': 'yesterday' });
    expect(bad.status).toBe(400);
    const missing = await put(teamogy, '/v1/entities/Invoice/never', { n: 2 }, { 'if-match': '"1"' });
    expect(missing.status).toBe(412);
    expect((await hub.partner('GET', '/v1/entities/Invoice/never', teamogy)).status).toBe(404);
    const ok = await put(teamogy, '/v1/entities/Invoice/inv-2', { n: 2 }, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.json.version).toBe(2);
    expect((await hub.partner('GET', '/v1/entities/Invoice/inv-2', teamogy)).json.data).toEqual({ n: 2 });
  });

  it('keeps a row its owner’s: another partner reads, writes and deletes a 404', async () => {
    await put(teamogy, '/v1/entities/Invoice/mine', { secret: 'x' });
    expect((await hub.partner('GET', '/v1/entities/Invoice/mine', other)).status).toBe(404);
    expect((await put(other, '/v1/entities/Invoice/mine', { secret: 'stolen' })).status).toBe(404);
    expect((await hub.partner('DELETE', '/v1/entities/Invoice/mine', other)).status).toBe(404);
    const still = await hub.partner('GET', '/v1/entities/Invoice/mine', teamogy);
    expect(still.json).toMatchObject({ version: 1, data: { secret: 'x' } });
    const listed = await hub.partner('GET', '/v1/entities/Invoice', other);
    expect(listed.json.rows).toEqual([]);
  });

  it('refuses callers without a key, or with a key lacking the entities scope', async () => {
    expect((await hub.partner('GET', '/v1/entities/Invoice/inv-1', undefined)).status).toBe(401);
    const scoped = await hub.partner('GET', '/v1/entities/Invoice/inv-1', messagesOnly);
    expect(scoped.status).toBe(403);
    expect(scoped.json.error.message).toMatch(/entities scope/);
  });

  it('writes nothing for bad input: not an object, bad names, over 256 KB, bad JSON', async () => {
    const before = (await rowItems()).length;
    const cases: [string, unknown, number][] = [
      ['/v1/entities/Invoice/arr', '[1,2]', 400],
      ['/v1/entities/Invoice/nul', 'null', 400],
      ['/v1/entities/Invoice/str', '"text"', 400],
      ['/v1/entities/Invoice/bad', '{"a":', 400],
      ['/v1/entities/Invoice/proto', '{"__proto__":{"admin":true}}', 400],
      ['/v1/entities/9Invoice/x', { a: 1 }, 400],
      ['/v1/entities/Invoice/has%20space', { a: 1 }, 400],
      [`/v1/entities/Invoice/${'x'.repeat(257)}`, { a: 1 }, 400],
      ['/v1/entities/Invoice/big', JSON.stringify({ blob: 'x'.repeat(256 * 1024) }), 413],
    ];
    for (const [path, body, status] of cases) {
      const r = await put(teamogy, path, body);
      expect(r.status, path).toBe(status);
    }
    const wrongType = await hub.partner('PUT', '/v1/entities/Invoice/xml', teamogy, {
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(wrongType.status).toBe(415);
    expect((await rowItems()).length).toBe(before);
  });

  it('lists the caller’s rows of an entity oldest change first, in pages, from updatedSince', async () => {
    for (let i = 0; i < 5; i++) await put(teamogy, `/v1/entities/Attendance/a${i}`, { i });
    await put(other, '/v1/entities/Attendance/theirs', { i: 99 });
    // A change moves a row to the end of the order.
    await put(teamogy, '/v1/entities/Attendance/a0', { i: 0, late: true });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await hub.partner(
        'GET',
        `/v1/entities/Attendance?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        teamogy,
      );
      expect(page.status).toBe(200);
      expect(page.json.rows.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.rows.map((r: { id: string }) => r.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['a1', 'a2', 'a3', 'a4', 'a0']);

    const all = (await hub.partner('GET', '/v1/entities/Attendance', teamogy)).json.rows;
    const since = all[3].updatedAt;
    const recent = await hub.partner('GET', `/v1/entities/Attendance?updatedSince=${since}`, teamogy);
    expect(recent.json.rows.map((r: { id: string }) => r.id)).toEqual(
      all.slice(3).map((r: { id: string }) => r.id),
    );

    // Another listing's cursor, a forged one and bad parameters are 400.
    const theirs = await hub.partner('GET', '/v1/entities/Attendance?limit=1', other);
    expect(theirs.json.rows.map((r: { id: string }) => r.id)).toEqual(['theirs']);
    const mine = await hub.partner('GET', '/v1/entities/Attendance?limit=1', teamogy);
    const foreign = await hub.partner(
      'GET',
      `/v1/entities/Attendance?cursor=${encodeURIComponent(mine.json.nextCursor)}`,
      other,
    );
    expect(foreign.status).toBe(400);
    for (const q of ['cursor=garbage', 'limit=0', 'limit=101', 'updatedSince=yesterday']) {
      expect((await hub.partner('GET', `/v1/entities/Attendance?${q}`, teamogy)).status, q).toBe(400);
    }
  });

  it('deletes a row: then it is gone, from reads and listings', async () => {
    await put(teamogy, '/v1/entities/Customer/c1', { name: 'Acme' });
    expect((await hub.partner('DELETE', '/v1/entities/Customer/c1', teamogy)).status).toBe(204);
    expect((await hub.partner('GET', '/v1/entities/Customer/c1', teamogy)).status).toBe(404);
    expect((await hub.partner('DELETE', '/v1/entities/Customer/c1', teamogy)).status).toBe(404);
    expect((await hub.partner('GET', '/v1/entities/Customer', teamogy)).json.rows).toEqual([]);
    // A deleted id can be created again, at version 1.
    expect((await put(teamogy, '/v1/entities/Customer/c1', { name: 'Acme 2' })).json.version).toBe(1);
  });
});
