import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erpMailbox } from '../../functions/core/packet.js';
import { messagesTable } from '../../lib/resources.js';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';

const PACKETS = 500;
const UPLOAD_CONCURRENCY = 25;

/**
 * Two ERP pullers in parallel over 500 pending device→ERP packets. The packets are made the way devices
 * make them, over HTTP: GET /device/…/upload and a PUT to the presigned URL, 25 at a time; the packet
 * worker then checks each and makes it ready.
 */
describe('concurrent ERP pulls', () => {
  let hub: TestHub;
  let erpKey: string;
  let deviceKey: string;
  const dynamo = new DynamoDBClient({});

  beforeAll(async () => {
    hub = await startTestHub();
    await hub.admin('POST', '/admin/partners', { code: 'AREA', name: 'area' });
    erpKey = (await hub.admin('POST', '/admin/partners/AREA/keys', { scopes: ['erp'] })).json.key;
    deviceKey = (await hub.admin('POST', '/admin/partners/AREA/keys', { scopes: ['device'] })).json.key;
  });
  afterAll(async () => {
    dynamo.destroy();
    await hub?.stop();
  });

  /** How many packets wait in the ERP's mailbox (a test-only count on the index; leases are not taken). */
  const waiting = async () => {
    const r = await dynamo.send(
      new QueryCommand({
        TableName: process.env[messagesTable.envVar],
        IndexName: 'byInbox',
        KeyConditionExpression: 'inbox = :m',
        ExpressionAttributeValues: { ':m': { S: erpMailbox('AREA', 'packet') } },
        Select: 'COUNT',
      }),
    );
    return r.Count ?? 0;
  };

  it('leases each of 500 packets once per lease period and completes each exactly once', async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
        while (next < PACKETS) {
          const i = next++;
          const user = `user${i % 7}`;
          const body = Buffer.from(
            `<NavMobileSync salesmancode="${user}"><table tablename="Visits"><r><DMS_ROWID>${i}</DMS_ROWID><Note>visit ${i}</Note></r></table></NavMobileSync>`,
          );
          const announced = await hub.partner(
            'GET',
            `/device/AREA/${user}/upload?packetUniqueId=visit-${i}&size=${body.length}&packetType=xml`,
            deviceKey,
          );
          expect(announced.status).toBe(200);
          const put = await fetch(announced.json.uploadPath, { method: 'PUT', body });
          expect(put.status).toBe(200);
        }
      }),
    );
    await eventually(
      async () => ((await waiting()) === PACKETS ? true : undefined),
      60_000,
      'all packets ready',
    );

    const pull = async () => {
      const r = await hub.partner('GET', '/erp/pull/AREA?packetType=packet&format=json&limit=37', erpKey);
      expect(r.status).toBe(200);
      return (r.json.packets as { id: string; receiptHandle: string }[]).map(({ id, receiptHandle }) => ({
        id,
        receiptHandle,
      }));
    };
    const leasedBy: { id: string; receiptHandle: string }[][] = [[], []];
    await Promise.all(
      leasedBy.map(async (mine) => {
        for (;;) {
          const got = await pull();
          if (got.length === 0) return;
          mine.push(...got);
        }
      }),
    );
    const all = leasedBy.flat();
    expect(all).toHaveLength(PACKETS);
    expect(new Set(all.map((p) => p.id)).size).toBe(PACKETS);
    // Both pullers did take part (otherwise this proved nothing about concurrency).
    expect(leasedBy[0]?.length).toBeGreaterThan(0);
    expect(leasedBy[1]?.length).toBeGreaterThan(0);

    // Each puller completes its own leases, in batches of 100, in parallel.
    const done = async (items: { id: string; receiptHandle: string }[]) => {
      const r = await hub.partner('POST', '/erp/pull/AREA/done', erpKey, { body: JSON.stringify(items) });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json as { success: boolean; failed?: { id: string }[] };
    };
    const batches = leasedBy.flatMap((mine) =>
      Array.from({ length: Math.ceil(mine.length / 100) }, (_, b) => mine.slice(b * 100, b * 100 + 100)),
    );
    const first = await Promise.all(batches.map(done));
    expect(first.every((r) => r.success)).toBe(true);
    // Exactly once: the same handles again complete nothing.
    const second = await Promise.all(batches.map(done));
    expect(second.flatMap((r) => r.failed ?? []).length).toBe(PACKETS);
    expect(await pull()).toEqual([]);
    expect(await waiting()).toBe(0);
    // 500 packets through upload, check and copy, then leases: on a loaded two-core machine this
    // takes well past the default minute, so the test has its own (a limit, not a timing assertion).
  }, 180_000);
});
