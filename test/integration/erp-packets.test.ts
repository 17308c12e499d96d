import { randomBytes } from 'node:crypto';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packetUrls } from '../../functions/deps.js';
import { packetTopic } from '../../lib/resources.js';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';

/**
 * Seed 003 end to end on the local hub: an ERP client written from the seed and a device client written
 * from shared/API.md exchange packets both ways, through real presigned URLs checked by the S3 gateway,
 * the S3 → queue → packet worker path, and the SNS topic.
 */
describe('ERP ↔ device sync packets', () => {
  let hub: TestHub;
  let erpKey: string;
  let otherErpKey: string;
  let deviceKey: string;
  let user1Key: string;
  let sqs: SQSClient;
  let sns: SNSClient;
  let user1Inbox: string;

  beforeAll(async () => {
    hub = await startTestHub();
    for (const code of ['DMDEV01', 'OTHER01'])
      await hub.admin('POST', '/admin/partners', { code, name: code });
    const key = async (area: string, body: unknown) =>
      (await hub.admin('POST', `/admin/partners/${area}/keys`, body)).json.key;
    erpKey = await key('DMDEV01', { scopes: ['erp'] });
    otherErpKey = await key('OTHER01', { scopes: ['erp'] });
    deviceKey = await key('DMDEV01', { scopes: ['device'] });
    user1Key = await key('DMDEV01', { scopes: ['device'], mobileUser: 'user1' });

    // A push service's subscription: only user1's notifications, by filter policy on the attributes.
    sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    sns = new SNSClient({});
    user1Inbox = (await sqs.send(new CreateQueueCommand({ QueueName: 'push-user1' }))).QueueUrl as string;
    const arn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: user1Inbox, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    await sns.send(
      new SubscribeCommand({
        TopicArn: process.env[packetTopic.envVar],
        Protocol: 'sqs',
        Endpoint: arn,
        Attributes: { FilterPolicy: JSON.stringify({ appArea: ['DMDEV01'], mobileUser: ['user1'] }) },
      }),
    );
  });
  afterAll(async () => {
    sqs?.destroy();
    sns?.destroy();
    await hub?.stop();
  });

  // ---- An ERP client written from seed 003 alone ----
  const erp = (path: string, key = erpKey, init: { body?: string; headers?: Record<string, string> } = {}) =>
    hub.partner(path.includes('/done') ? 'POST' : 'GET', path, key, init);
  const push = (user: string, uid: string, size: number, type = 'xml', prefix = '/mobile') =>
    erp(`${prefix}/erp/push/DMDEV01/${user}?packetUniqueId=${uid}&size=${size}&packetType=${type}`);
  // ---- A device client written from shared/API.md ----
  const device = (
    path: string,
    key = user1Key,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) => hub.partner(path.endsWith('/done') ? 'POST' : 'GET', `/device/DMDEV01/${path}`, key, init);

  /** PUTs bytes to a presigned URL as a plain HTTP client would: no Content-Type at all. */
  const upload = (url: string, body: Buffer) => fetch(url, { method: 'PUT', body });
  const statusOf = async (id: string) => (await erp(`/erp/status/DMDEV01/${id}`)).json;
  const settled = (id: string) =>
    eventually(
      async () => {
        const s = await statusOf(id);
        return s.status === 'awaiting' ? undefined : s;
      },
      20_000,
      `packet ${id} to be processed`,
    );
  const packetXml = (user: string, rowId: string, extra = '') =>
    Buffer.from(
      `<?xml version="1.0" encoding="utf-8"?>\n<NavMobileSync salesmancode="${user}">\n  <table tablename="Customers">\n    <r status="insert">\n      <DMS_ROWID>${rowId}</DMS_ROWID>\n      <No>00123</No>\n      <Name>Acme &amp; Co</Name>${extra}\n    </r>\n  </table>\n</NavMobileSync>\n`,
    );
  const listingXml = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'packet' });

  it('ERP → device: push, upload, convert, notify, list, download the native form, done', async () => {
    // user2's packet first: the push service subscribed for user1 must not hear about it.
    const forUser2 = packetXml('user2', 'u2');
    const pushed2 = await push('user2', 'for-user2', forUser2.length);
    await upload(pushed2.json.uploadPath, forUser2);
    expect((await settled(pushed2.json.syncLogId)).status).toBe('ready');

    const body = packetXml('user1', '123e4567-e89b-12d3-a456-426614174001');
    const pushed = await push('user1', 'xyz-abc-01', body.length);
    expect(pushed.status).toBe(200);
    expect(pushed.json).toMatchObject({ success: true, syncLogId: expect.stringMatching(/^pkt_/) });
    const url = new URL(pushed.json.uploadPath);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    expect(url.pathname).toMatch(new RegExp(`/packets/DMDEV01/${pushed.json.syncLogId}$`));

    // The same packetUniqueId before the upload: the same syncLogId (under either prefix).
    const again = await push('user1', 'xyz-abc-01', body.length, 'xml', '');
    expect(again.json.syncLogId).toBe(pushed.json.syncLogId);

    expect((await upload(pushed.json.uploadPath, body)).status).toBe(200);
    expect(await settled(pushed.json.syncLogId)).toMatchObject({ success: true, status: 'ready' });
    // After the upload: 409, in the seed's error shape.
    const late = await push('user1', 'xyz-abc-01', body.length);
    expect(late.status).toBe(409);
    expect(late.json).toEqual({
      success: false,
      error: { code: 'already_uploaded', message: expect.any(String) },
    });

    // The push service hears about it, with the attributes its filter policy matched.
    const heard = await eventually(async () => {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: user1Inbox, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      return r.Messages?.length ? r.Messages : undefined;
    });
    expect(heard).toHaveLength(1);
    const envelope = JSON.parse(heard[0]?.Body ?? '{}');
    expect(envelope.MessageAttributes).toMatchObject({
      appArea: { Type: 'String', Value: 'DMDEV01' },
      mobileUser: { Type: 'String', Value: 'user1' },
    });
    expect(JSON.parse(envelope.Message)).toMatchObject({
      type: 'packet.ready',
      syncLogId: pushed.json.syncLogId,
      packetUniqueId: 'xyz-abc-01',
    });

    const listed = await device('user1/packets');
    expect(listed.status).toBe(200);
    expect(listed.json.packets).toEqual([
      {
        id: pushed.json.syncLogId,
        receiptHandle: expect.any(String),
        url: expect.stringMatching(
          new RegExp(`^native-packets/DMDEV01/${pushed.json.syncLogId}/chk_[0-9a-z]{26}\\.json$`),
        ),
        mobileUser: 'user1',
        packetUniqueId: 'xyz-abc-01',
        packetType: 'xml',
        size: body.length,
        createdAt: expect.any(String),
      },
    ]);
    const [entry] = listed.json.packets;
    const link = await device(`user1/link?path=${encodeURIComponent(entry.url)}`);
    expect(link.status).toBe(200);
    expect(link.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(new URL(link.raw.toString()).searchParams.get('X-Amz-Expires')).toBe('900');
    const native = await fetch(link.raw.toString());
    expect(native.status).toBe(200);
    expect(await native.json()).toEqual({
      salesmancode: 'user1',
      tables: [
        {
          tablename: 'Customers',
          records: [
            {
              status: 'insert',
              fields: { DMS_ROWID: '123e4567-e89b-12d3-a456-426614174001', No: '00123', Name: 'Acme & Co' },
            },
          ],
        },
      ],
    });
    // The ERP can fetch the native form of its own push too.
    expect((await erp(`/erp/pull/DMDEV01/link?path=${encodeURIComponent(entry.url)}`)).status).toBe(200);

    const done = await device('user1/done', user1Key, {
      body: JSON.stringify([{ id: entry.id, receiptHandle: entry.receiptHandle }]),
      headers: { 'content-type': 'application/json' },
    });
    expect(done.json).toEqual({ success: true });
    expect((await device('user1/packets')).json.packets).toEqual([]);
    expect((await statusOf(entry.id)).status).toBe('done');
  });

  it('device → ERP: packets and files uploaded by a device are pulled by the ERP (XML listing, XML done)', async () => {
    const json = Buffer.from(
      JSON.stringify({
        salesmancode: 'user1',
        tables: [
          { tablename: 'Orders', records: [{ status: 'insert', fields: { DMS_ROWID: 'o-1', Qty: '007' } }] },
        ],
      }),
    );
    const file = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256));
    const sent = await device(`user1/upload?packetUniqueId=dev-1&size=${json.length}&packetType=json`);
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({
      success: true,
      syncLogId: expect.any(String),
      uploadPath: expect.any(String),
    });
    const sentFile = await device(`user1/upload?packetUniqueId=photo-1&size=${file.length}&packetType=file`);
    expect((await upload(sent.json.uploadPath, json)).status).toBe(200);
    expect((await upload(sentFile.json.uploadPath, file)).status).toBe(200);
    expect((await settled(sent.json.syncLogId)).status).toBe('ready');
    expect((await settled(sentFile.json.syncLogId)).status).toBe('ready');

    const pulled = await erp('/mobile/erp/pull/DMDEV01?packetType=packet&format=xml');
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get('content-type')).toMatch(/^application\/xml/);
    const listing = listingXml.parse(pulled.raw.toString('utf8'));
    expect(listing.packets.packet).toEqual([
      {
        id: sent.json.syncLogId,
        receiptHandle: expect.any(String),
        url: expect.stringMatching(
          new RegExp(`^checked-packets/DMDEV01/${sent.json.syncLogId}/chk_[0-9a-z]{26}$`),
        ),
        mobileUser: 'user1',
        packetUniqueId: 'dev-1',
        packetType: 'json',
        size: String(json.length),
        createdAt: expect.any(String),
      },
    ]);
    const [p] = listing.packets.packet;
    const link = await erp(`/mobile/erp/pull/DMDEV01/link?path=${encodeURIComponent(p.url)}`);
    expect(Buffer.from(await (await fetch(link.raw.toString())).arrayBuffer())).toEqual(json);

    const files = await erp('/erp/pull/DMDEV01?packetType=file');
    expect(files.json.packets.map((f: { id: string }) => f.id)).toEqual([sentFile.json.syncLogId]);
    const [f] = files.json.packets;
    const fileLink = await erp(`/erp/pull/DMDEV01/link?path=${encodeURIComponent(f.url)}`);
    expect(Buffer.from(await (await fetch(fileLink.raw.toString())).arrayBuffer())).toEqual(file);

    const xmlDone = `<messages><message><id>${p.id}</id><receiptHandle>${p.receiptHandle}</receiptHandle></message><message><id>${f.id}</id><receiptHandle>${f.receiptHandle}</receiptHandle></message></messages>`;
    const done = await erp('/mobile/erp/pull/DMDEV01/done?format=xml', erpKey, {
      body: xmlDone,
      headers: { 'content-type': 'application/xml' },
    });
    expect(done.json).toEqual({ success: true });
    expect((await erp('/erp/pull/DMDEV01?packetType=packet')).json.packets).toEqual([]);
    expect((await erp('/erp/pull/DMDEV01?packetType=file')).json.packets).toEqual([]);
    // Done twice: listed as failed; the ERP can tell it was already done.
    const twice = await erp('/erp/pull/DMDEV01/done?format=json', erpKey, {
      body: JSON.stringify([{ id: p.id, receiptHandle: p.receiptHandle }]),
    });
    expect(twice.json).toEqual({ success: false, failed: [{ id: p.id, error: expect.any(String) }] });
  });

  it('refuses the done body seed 003 prints with a clear 400, and changes nothing', async () => {
    const body = packetXml('user1', 'seed-done');
    const sent = await device(`user1/upload?packetUniqueId=seed-done-1&size=${body.length}&packetType=xml`);
    await upload(sent.json.uploadPath, body);
    await settled(sent.json.syncLogId);
    const [p] = (await erp('/erp/pull/DMDEV01')).json.packets;
    const seed = `<messages>
   <message><id>${p.id}</id><receiptHandle>${p.receiptHandle}</receiptHandle>,
   <message><id>asdasdasd2</id><receiptHandle>abvabc2</receiptHandle>
   <message><id>asdasdasd3</id><receiptHandle>abvabc3</receiptHandle>
  <messages>
 `;
    const refused = await erp('/mobile/erp/pull/DMDEV01/done?format=xml', erpKey, {
      body: seed,
      headers: { 'content-type': 'application/xml' },
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      success: false,
      error: {
        code: 'invalid_xml',
        message: expect.stringMatching(/^The XML body is refused: .*not valid XML/),
      },
    });
    expect((await statusOf(p.id)).status).toBe('ready');
    // The lease still holds, and the same items in a well-formed body complete it.
    const fixed = `<messages><message><id>${p.id}</id><receiptHandle>${p.receiptHandle}</receiptHandle></message></messages>`;
    expect((await erp('/erp/pull/DMDEV01/done?format=xml', erpKey, { body: fixed })).json).toEqual({
      success: true,
    });
    for (const bad of ['', '{"id":"x"}', '[{"id":"x","receiptHandle":"y","extra":1}]', '[]']) {
      expect((await erp('/erp/pull/DMDEV01/done?format=json', erpKey, { body: bad })).status, bad).toBe(400);
    }
  });

  it('fails bad packets with their reason and keeps the worker healthy', async () => {
    const wrap = (inner: string) =>
      `<NavMobileSync salesmancode="user1"><table tablename="T"><r>${inner}</r></table></NavMobileSync>`;
    const cases: [string, string, RegExp][] = [
      [
        'laughs',
        `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol9 "${'&lol;'.repeat(10)}">]>${wrap('<DMS_ROWID>&lol9;</DMS_ROWID>')}`,
        /DOCTYPE is refused/,
      ],
      [
        'xxe',
        `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${wrap('<DMS_ROWID>&e;</DMS_ROWID>')}`,
        /DOCTYPE/,
      ],
      ['deep', `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`, /nested deeper than 64/],
      ['proto', wrap('<__proto__><polluted>yes</polluted></__proto__><DMS_ROWID>1</DMS_ROWID>'), /__proto__/],
      ['unclosed', wrap('<DMS_ROWID>1'), /Expected closing tag 'DMS_ROWID'/],
      [
        'other-user',
        packetXml('user2', '1').toString(),
        /salesmancode is user2, but it was pushed for the mobile user user1/,
      ],
    ];
    const ids: Record<string, string> = {};
    for (const [name, xml] of cases) {
      const body = Buffer.from(xml);
      const pushed = await push('user1', `bad-${name}`, body.length);
      expect((await upload(pushed.json.uploadPath, body)).status).toBe(200);
      ids[name] = pushed.json.syncLogId;
    }
    for (const [name, , reason] of cases) {
      const s = await settled(ids[name] as string);
      expect(s, name).toMatchObject({
        success: true,
        status: 'failed',
        error: expect.stringMatching(reason),
      });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The worker is still healthy: a good packet right after goes through.
    const good = packetXml('user1', 'after-bad');
    const pushed = await push('user1', 'good-after-bad', good.length);
    await upload(pushed.json.uploadPath, good);
    expect((await settled(pushed.json.syncLogId)).status).toBe('ready');
    // Failed packets are never listed.
    const listed = (await device('user1/packets')).json.packets.map((p: { id: string }) => p.id);
    expect(listed).toEqual([pushed.json.syncLogId]);
  });

  it('refuses at the presigned URL an upload of another size, or after the URL expired', async () => {
    const body = packetXml('user1', 'size');
    const pushed = await push('user1', 'size-1', body.length);
    const bigger = await upload(pushed.json.uploadPath, Buffer.concat([body, Buffer.from(' ')]));
    expect(bigger.status).toBe(403);
    expect(await bigger.text()).toMatch(/SignatureDoesNotMatch/);
    const smaller = await upload(pushed.json.uploadPath, body.subarray(1));
    expect(smaller.status).toBe(403);
    // Another key than the one signed is refused too.
    const elsewhere = pushed.json.uploadPath.replace(pushed.json.syncLogId, 'pkt_0000000000000000000000000a');
    expect((await upload(elsewhere, body)).status).toBe(403);

    // The hub's own signer with a one-second life: what a URL looks like 15 minutes on.
    const short = await packetUrls().put(`packets/DMDEV01/${pushed.json.syncLogId}`, body.length, 1);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await upload(short, body);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/Request has expired/);
    await new Promise((r) => setTimeout(r, 300));
    expect((await statusOf(pushed.json.syncLogId)).status).toBe('awaiting');
    // The ERP retries with the same packetUniqueId: the same packet, a fresh URL that works.
    const retry = await push('user1', 'size-1', body.length);
    expect(retry.json.syncLogId).toBe(pushed.json.syncLogId);
    expect((await upload(retry.json.uploadPath, body)).status).toBe(200);
    expect((await settled(pushed.json.syncLogId)).status).toBe('ready');
  });

  it('keeps areas and users apart: 401 without a key, 403 for another area’s or user’s key, 404 for another area’s path', async () => {
    const expectError = (r: { status: number; json: any }, status: number) => {
      expect(r.status).toBe(status);
      expect(r.json).toEqual({
        success: false,
        error: { code: expect.any(String), message: expect.any(String) },
      });
    };
    expectError(await hub.partner('GET', '/erp/pull/DMDEV01', undefined), 401);
    expectError(await erp('/erp/pull/DMDEV01', otherErpKey), 403);
    expectError(
      await erp('/mobile/erp/push/DMDEV01/user1?packetUniqueId=x&size=5&packetType=xml', otherErpKey),
      403,
    );
    expectError(await erp('/erp/pull/DMDEV01', deviceKey), 403); // a device key has no erp scope
    expectError(await device('user1/packets', erpKey), 403); // an ERP key has no device scope
    expectError(await device('user2/packets', user1Key), 403); // bound to user1
    expect((await device('user2/packets', deviceKey)).status).toBe(200); // an unbound device key serves any user
    expectError(await hub.partner('GET', '/erp/pull/DMDEV01?apikey=x', undefined), 401); // x-api-key only

    // Another area's packet through one's own area: 404, for status and for link.
    const body = packetXml('user1', 'mine');
    const mine = await push('user1', 'area-1', body.length);
    await upload(mine.json.uploadPath, body);
    await settled(mine.json.syncLogId);
    expectError(await erp(`/erp/status/OTHER01/${mine.json.syncLogId}`, otherErpKey), 404);
    const [leased] = (await device('user1/packets')).json.packets.filter(
      (p: { id: string }) => p.id === mine.json.syncLogId,
    );
    const nativePath = leased.url as string;
    expectError(await erp(`/erp/pull/OTHER01/link?path=${encodeURIComponent(nativePath)}`, otherErpKey), 404);
    for (const path of [
      `packets/DMDEV01/../OTHER01/${mine.json.syncLogId}`,
      'push_done/MYAPPAREA/2020010101/user1/xyz-abv-d011.xml',
      `native-packets/DMDEV01/${mine.json.syncLogId}`,
      `native-packets/DMDEV01/${mine.json.syncLogId}.json`,
      // The upload key, which its presigned PUT may still write: never a download path.
      `packets/DMDEV01/${mine.json.syncLogId}`,
    ]) {
      expectError(await erp(`/erp/pull/DMDEV01/link?path=${encodeURIComponent(path)}`), 404);
    }
    // A device sees only its own user's packets.
    expectError(await device(`user2/link?path=${encodeURIComponent(nativePath)}`, deviceKey), 404);
    expect((await device(`user1/link?path=${encodeURIComponent(nativePath)}`)).status).toBe(200);
    // Done with another area's key completes nothing.
    const foreign = await hub.partner('POST', '/erp/pull/OTHER01/done', otherErpKey, {
      body: JSON.stringify([{ id: leased.id, receiptHandle: leased.receiptHandle }]),
    });
    expect(foreign.json.success).toBe(false);
    expect((await statusOf(leased.id)).status).toBe('ready');
  });

  it('answers bad parameters with 400 in the seed’s shape, writing nothing', async () => {
    for (const query of [
      'size=5&packetType=xml',
      'packetUniqueId=a&packetType=xml',
      'packetUniqueId=a&size=0&packetType=xml',
      'packetUniqueId=a&size=abc&packetType=xml',
      'packetUniqueId=a&size=1e3&packetType=xml',
      `packetUniqueId=a&size=${17 * 1024 * 1024}&packetType=xml`,
      'packetUniqueId=a&size=5&packetType=file',
      'packetUniqueId=a&size=5',
    ]) {
      const r = await erp(`/erp/push/DMDEV01/user1?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.json.success).toBe(false);
    }
    expect((await erp('/erp/push/DMDEV01/us%23er?packetUniqueId=a&size=5&packetType=xml')).status).toBe(400);
    for (const query of [
      'packetType=zip',
      'format=csv',
      'limit=0',
      'limit=101',
      'limit=1e1',
      'visibilityTimeout=0',
      'visibilityTimeout=1e3',
      'visibilityTimeout=0x10',
    ]) {
      expect((await erp(`/erp/pull/DMDEV01?${query}`)).status, query).toBe(400);
    }
    expect((await erp('/erp/pull/DMDEV01/link')).status).toBe(400);
    expect((await erp('/erp/status/DMDEV01/not-an-id')).status).toBe(404);
    // Nothing was announced: the same packetUniqueId is still free for any packet.
    const first = await push('user1', 'a', 5);
    expect(first.status).toBe(200);
  });
  it('serves what was checked: a later PUT to a packet’s upload URL changes nothing anyone downloads, and is noted', async () => {
    const noted = (id: string) =>
      eventually(async () => {
        const s = await statusOf(id);
        return s.note ? s : undefined;
      });
    const json = Buffer.from(
      JSON.stringify({
        salesmancode: 'user1',
        tables: [{ tablename: 'Orders', records: [{ status: 'insert', fields: { DMS_ROWID: 'late-1' } }] }],
      }),
    );
    const file = randomBytes(212);
    const sent = await device(`user1/upload?packetUniqueId=late-json&size=${json.length}&packetType=json`);
    const sentFile = await device(
      `user1/upload?packetUniqueId=late-file&size=${file.length}&packetType=file`,
    );
    const pushedBody = packetXml('user1', 'late-row-1');
    const pushed = await push('user1', 'late-push', pushedBody.length);
    expect((await upload(sent.json.uploadPath, json)).status).toBe(200);
    expect((await upload(sentFile.json.uploadPath, file)).status).toBe(200);
    expect((await upload(pushed.json.uploadPath, pushedBody)).status).toBe(200);
    for (const id of [sent.json.syncLogId, sentFile.json.syncLogId, pushed.json.syncLogId]) {
      expect((await settled(id)).status).toBe('ready');
    }

    // The URLs are still valid, so S3 takes each write: the hub notes it and changes nothing it serves.
    expect((await upload(sent.json.uploadPath, randomBytes(json.length))).status).toBe(200);
    expect((await upload(sentFile.json.uploadPath, randomBytes(file.length))).status).toBe(200);
    expect((await upload(pushed.json.uploadPath, packetXml('user1', 'late-row-2'))).status).toBe(200);
    for (const id of [sent.json.syncLogId, sentFile.json.syncLogId, pushed.json.syncLogId]) {
      expect(await noted(id)).toMatchObject({
        status: 'ready',
        note: expect.stringMatching(/written again after the packet was checked/),
      });
    }

    const download = async (path: string, viaDevice = false) => {
      const q = `link?path=${encodeURIComponent(path)}`;
      const link = viaDevice ? await device(`user1/${q}`) : await erp(`/erp/pull/DMDEV01/${q}`);
      expect(link.status, path).toBe(200);
      return Buffer.from(await (await fetch(link.raw.toString())).arrayBuffer());
    };
    const [p] = (await erp('/erp/pull/DMDEV01?packetType=packet')).json.packets;
    const [f] = (await erp('/erp/pull/DMDEV01?packetType=file')).json.packets;
    const [d] = (await device('user1/packets')).json.packets;
    expect([p.id, f.id, d.id]).toEqual([sent.json.syncLogId, sentFile.json.syncLogId, pushed.json.syncLogId]);
    expect(await download(p.url)).toEqual(json);
    expect(await download(f.url)).toEqual(file);
    expect(JSON.parse((await download(d.url, true)).toString()).tables[0].records[0].fields.DMS_ROWID).toBe(
      'late-row-1',
    );
    // The upload key itself is no download path: only what the hub wrote after its check is.
    for (const id of [sent.json.syncLogId, sentFile.json.syncLogId]) {
      expect((await erp(`/erp/pull/DMDEV01/link?path=packets/DMDEV01/${id}`)).status).toBe(404);
    }
    expect(
      (
        await erp('/erp/pull/DMDEV01/done', erpKey, {
          body: JSON.stringify([p, f].map(({ id, receiptHandle }) => ({ id, receiptHandle }))),
        })
      ).json,
    ).toEqual({ success: true });
    expect(
      (
        await device('user1/done', user1Key, {
          body: JSON.stringify([{ id: d.id, receiptHandle: d.receiptHandle }]),
          headers: { 'content-type': 'application/json' },
        })
      ).json,
    ).toEqual({ success: true });
  });
  it('lists an area’s packets for the operator, newest first, failed ones with their reason, paged', async () => {
    const all = (await hub.admin('GET', '/admin/packets/DMDEV01?limit=100')).json.packets as {
      syncLogId: string;
      status: string;
      error?: string;
      createdAt: string;
      appArea: string;
    }[];
    expect(all.length).toBeGreaterThan(5);
    expect(all.every((p) => p.appArea === 'DMDEV01')).toBe(true);
    const times = all.map((p) => p.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    const failed = (await hub.admin('GET', '/admin/packets/DMDEV01?status=failed&limit=100')).json
      .packets as {
      status: string;
      error?: string;
    }[];
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((p) => p.status === 'failed' && typeof p.error === 'string')).toBe(true);
    expect(failed).toEqual(all.filter((p) => p.status === 'failed'));
    // Paged by cursor: the same packets, none twice.
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await hub.admin(
        'GET',
        `/admin/packets/DMDEV01?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status).toBe(200);
      paged.push(...r.json.packets.map((p: { syncLogId: string }) => p.syncLogId));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((p) => p.syncLogId));
    // Another area's cursor is refused; an area with no packets is an empty list.
    const first = (await hub.admin('GET', '/admin/packets/DMDEV01?limit=1')).json.nextCursor as string;
    expect(
      (await hub.admin('GET', `/admin/packets/OTHER01?cursor=${encodeURIComponent(first)}`)).status,
    ).toBe(400);
    expect((await hub.admin('GET', '/admin/packets/NOBODY')).json).toEqual({ packets: [] });
    expect((await hub.admin('GET', '/admin/packets/DMDEV01?status=lost')).status).toBe(400);
  });
});
