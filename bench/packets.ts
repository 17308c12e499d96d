import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { XMLParser } from 'fast-xml-parser';
import { discardEvents } from '../functions/core/events.js';
import { deviceMailbox, erpMailbox } from '../functions/core/packet.js';
import { convertPacket } from '../functions/core/packet-format.js';
import { packetNotices, packets, packetUrls, payloads } from '../functions/deps.js';
import { announcePacket } from '../functions/usecases/packets.js';
import { acceptLandedPacket } from '../functions/usecases/packets-landed.js';
import { startHub } from '../lib/local/hub.js';
import { messagesTable } from '../lib/resources.js';
import { runLoad } from './load.js';

const ADMIN = 'bench-admin-key';
const AREA = 'BENCH';
const MB = 1024 * 1024;

/** A packet of about `bytes` bytes: Customers records of ten fields each. */
function packetOf(bytes: number, user: string): Buffer {
  const record = (i: number) =>
    `<r status="insert"><DMS_ROWID>${String(i).padStart(8, '0')}-e89b-12d3-a456-426614174001</DMS_ROWID><No>${String(i).padStart(6, '0')}</No><Name>Customer ${i} &amp; Sons</Name><Address>${i} Alexander Malinov Blvd</Address><City>Sofia</City><PostCode>1712</PostCode><Phone>+359 2 000 ${i}</Phone><Balance>${(i * 13.7).toFixed(2)}</Balance><Blocked>false</Blocked><Salesperson>${user}</Salesperson></r>`;
  const head = `<?xml version="1.0" encoding="utf-8"?><NavMobileSync salesmancode="${user}"><table tablename="Customers">`;
  const tail = '</table></NavMobileSync>';
  const parts: string[] = [];
  let size = head.length + tail.length;
  for (let i = 0; size < bytes; i++) {
    const r = record(i);
    parts.push(r);
    size += r.length;
  }
  return Buffer.from(head + parts.join('') + tail);
}

/**
 * Sync packets on the local hub (seed 003). Prints nothing; returns:
 * - ERP→device packets pushed (GET /erp/push), uploaded (PUT to the presigned URL) and converted by the
 *   packet worker, per second, for 10 KB and 1 MB packets (until the last one is ready);
 * - pull + done throughput of the ERP over 1,000 pending device→ERP packets (100 per call);
 * - the XML conversion's MB/s next to fast-xml-parser's parse alone, on the same 1 MB packet.
 */
export async function benchPackets(
  options: { small?: number; large?: number; pending?: number; concurrency?: number } = {},
): Promise<Record<string, string | number>> {
  const small = options.small ?? 300;
  const large = options.large ?? 30;
  const pending = options.pending ?? 1000;
  const concurrency = options.concurrency ?? 8;
  const hub = await startHub({ port: 0, inMemory: true, adminKey: ADMIN, deliveryConcurrency: 0 });
  const dynamo = new DynamoDBClient({});
  try {
    const admin = async (path: string, body: unknown) => {
      const r = await fetch(`${hub.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (r.status >= 300) throw new Error(`${path} answered ${r.status}`);
      return (await r.json()) as Record<string, string>;
    };
    await admin('/admin/partners', { code: AREA, name: 'bench' });
    const erpKey = (await admin(`/admin/partners/${AREA}/keys`, { scopes: ['erp'] })).key as string;
    const waiting = async (mailbox: string) =>
      (
        await dynamo.send(
          new QueryCommand({
            TableName: process.env[messagesTable.envVar],
            IndexName: 'byInbox',
            KeyConditionExpression: 'inbox = :m',
            ExpressionAttributeValues: { ':m': { S: mailbox } },
            Select: 'COUNT',
          }),
        )
      ).Count ?? 0;
    const untilReady = async (mailbox: string, count: number) => {
      for (;;) {
        if ((await waiting(mailbox)) >= count) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    /** Push, upload and wait for conversion of `count` packets of `bytes` for one user; packets per second. */
    const pushRun = async (label: string, count: number, bytes: number) => {
      const user = `user-${label}`;
      const body = packetOf(bytes, user);
      const started = performance.now();
      await runLoad(count, concurrency, async (i) => {
        const r = await fetch(
          `${hub.url}/erp/push/${AREA}/${user}?packetUniqueId=${label}-${i}&size=${body.length}&packetType=xml`,
          { headers: { 'x-api-key': erpKey } },
        );
        if (r.status !== 200) throw new Error(`push answered ${r.status}`);
        const { uploadPath } = (await r.json()) as { uploadPath: string };
        const put = await fetch(uploadPath, { method: 'PUT', body });
        if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
        await put.arrayBuffer();
      });
      await untilReady(deviceMailbox(AREA, user), count);
      const seconds = (performance.now() - started) / 1000;
      return {
        perSecond: count / seconds,
        mbPerSecond: (count * body.length) / MB / seconds,
        bytes: body.length,
      };
    };
    await pushRun('warm', 10, 10 * 1024);
    const tenKb = await pushRun('10kb', small, 10 * 1024);
    const oneMb = await pushRun('1mb', large, MB);

    // 1,000 pending device→ERP packets, made directly through the use cases (not timed).
    const ports = {
      packets: packets(),
      urls: packetUrls(),
      payloads: payloads(),
      notices: packetNotices(),
      events: discardEvents,
      clock: { now: Date.now },
    };
    const devicePacket = packetOf(2 * 1024, 'dev');
    await runLoad(pending, 16, async (i) => {
      const a = await announcePacket(ports, {
        appArea: AREA,
        mobileUser: 'dev',
        direction: 'toErp',
        packetUniqueId: `pending-${i}`,
        size: devicePacket.length,
        packetType: 'xml',
      });
      const key = `packets/${AREA}/${a.syncLogId}`;
      await ports.payloads.put(key, devicePacket, 'application/xml');
      await acceptLandedPacket(ports, key, devicePacket.length);
    });
    await untilReady(erpMailbox(AREA, 'packet'), pending);
    const pulledStarted = performance.now();
    let completed = 0;
    for (;;) {
      const r = await fetch(`${hub.url}/erp/pull/${AREA}?packetType=packet&limit=100`, {
        headers: { 'x-api-key': erpKey },
      });
      const { packets: listed } = (await r.json()) as { packets: { id: string; receiptHandle: string }[] };
      if (listed.length === 0) break;
      const d = await fetch(`${hub.url}/erp/pull/${AREA}/done`, {
        method: 'POST',
        headers: { 'x-api-key': erpKey, 'content-type': 'application/json' },
        body: JSON.stringify(listed.map(({ id, receiptHandle }) => ({ id, receiptHandle }))),
      });
      const result = (await d.json()) as { success: boolean };
      if (!result.success) throw new Error('done failed for some packets');
      completed += listed.length;
    }
    const pullSeconds = (performance.now() - pulledStarted) / 1000;
    if (completed !== pending) throw new Error(`pulled ${completed} of ${pending} packets`);

    // Conversion against fast-xml-parser alone, same 1 MB packet, in process.
    const big = packetOf(MB, 'conv');
    const text = big.toString('utf8');
    const plain = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
    const rate = (fn: () => void) => {
      for (let i = 0; i < 3; i++) fn();
      const runs = 15;
      const t = performance.now();
      for (let i = 0; i < runs; i++) fn();
      return (runs * big.length) / MB / ((performance.now() - t) / 1000);
    };
    const conversion = rate(() => {
      if (!convertPacket(big, 'xml').ok) throw new Error('the bench packet does not convert');
    });
    const parserAlone = rate(() => plain.parse(text));

    const f = (n: number, digits = 1) => Number(n.toFixed(digits));
    return {
      'push+upload+convert 10 KB (packets/s)': f(tenKb.perSecond),
      'push+upload+convert 1 MB (packets/s)': f(oneMb.perSecond),
      'push+upload+convert 1 MB (MB/s)': f(oneMb.mbPerSecond),
      'pull+done, 1,000 pending (packets/s)': f(completed / pullSeconds),
      'XML conversion (MB/s)': f(conversion),
      'fast-xml-parser parse alone (MB/s)': f(parserAlone),
      'conversion / parser alone': f(conversion / parserAlone, 2),
      setup: `${small} × ${tenKb.bytes} B and ${large} × ${oneMb.bytes} B packets, ${concurrency} clients; pull+done 100 per call, one ERP; conversion = validate + guarded parse + format checks`,
    };
  } finally {
    dynamo.destroy();
    await hub.stop();
  }
}
