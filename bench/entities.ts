import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { nextTick } from '../functions/core/triggers.js';
import { rowAdapters } from '../functions/deps.js';
import { sendDueTicks } from '../functions/usecases/continuous.js';
import { putRow } from '../functions/usecases/entities.js';
import { startHub } from '../lib/local/hub.js';
import { deliveryQueue, messagesTable, registryTable } from '../lib/resources.js';
import { meter, orderDocument, partner, seen } from './deliver.js';
import { runLoad } from './load.js';
import { BENCH_ADMIN_KEY } from './setup.js';

/**
 * Entity rows (Contract v2): row PUTs through the local hub next to the floor (the same DynamoDB and
 * SQS calls made directly), the cost of a change on an entity that 100 integrations watch, one
 * continuous tick over many eligible rows, and the price of a row change delivered once.
 */
export async function benchEntities(o: { count?: number; concurrency?: number; tickRows?: number } = {}) {
  const count = o.count ?? 2000;
  const concurrency = o.concurrency ?? 16;
  const tickRows = o.tickRows ?? 10_000;
  const metered = meter();
  const hub = await startHub({
    port: 0,
    inMemory: true,
    adminKey: BENCH_ADMIN_KEY,
    deliveryConcurrency: 0,
    // Delivery workers run only for the priced run. The tick below is run by the bench itself, on a clock at the rows' due time.
    withoutSchedules: ['RowSweep'],
    onInvoke: metered.onInvoke,
  });
  const sink = await partner();
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
  const integration = (name: string, entity: string, extra: Record<string, unknown> = {}) =>
    admin('POST', '/admin/integrations', {
      name,
      direction: 'Outbound',
      entity,
      consentType: 'None',
      sender: 'erp',
      receiver: 'bank',
      delivery: { mode: 'push', url: sink.url, format: 'raw' },
      ...extra,
    });
  try {
    for (const code of ['erp', 'bank']) await admin('POST', '/admin/partners', { code, name: code });
    const key = String((await admin('POST', '/admin/partners/erp/keys', {})).key);
    const body = orderDocument(2048);
    const put = async (entity: string, id: string, data = body) => {
      const r = await fetch(`${hub.url}/v1/entities/${entity}/${id}`, {
        method: 'PUT',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: data,
      });
      if (r.status !== 201 && r.status !== 200) throw new Error(`PUT answered ${r.status}`);
      await r.arrayBuffer();
    };

    await integration('invoices', 'Invoice');
    const measure = metered.measure;
    // A row change delivered once, priced first (nothing else queued): PUTs at concurrency 16, four
    // delivery workers on.
    await hub.stopWorkers();
    await hub.startWorkers({ deliveryConcurrency: 4 });
    const before = sink.firstSeen.size;
    const DELIVERED = 1000;
    const delivered = await measure(DELIVERED, async () => {
      await runLoad(DELIVERED, concurrency, (i) => put('Invoice', `priced-${i}`));
      await seen(sink, before + DELIVERED);
    });
    // The rest measures the hub's own work on a change: no deliveries run beside it.
    await hub.stopWorkers();

    // 1. Row PUTs (a new row each, one integration sending it), delivery workers off.
    await runLoad(200, concurrency, (i) => put('Invoice', `warm-${i}`));
    const hubRun = await runLoad(count, concurrency, (i) => put('Invoice', `inv-${i}`));
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    await runLoad(200, concurrency, (i) => rowPutCalls(db, sqs, `warm-${i}`, body));
    const floorRun = await runLoad(count, concurrency, (i) => rowPutCalls(db, sqs, `floor-${i}`, body));
    db.destroy();
    sqs.destroy();

    // 2. One entity watched by 100 integrations (filters that one change in a hundred passes), next
    // to one integration: what evaluating them adds to a change.
    for (let n = 0; n < 100; n++) {
      await integration(`watch ${n}`, 'Watched', { filter: `$number(orderNo = "none") + ${n} = 99` });
    }
    const CHANGES = 200;
    const one = await measure(CHANGES, () => runLoad(CHANGES, 1, (i) => put('Invoice', `one-${i}`)));
    const hundred = await measure(CHANGES, () => runLoad(CHANGES, 1, (i) => put('Watched', `w-${i}`)));

    // 3. A continuous tick over `tickRows` eligible rows: written through the use case at a fixed
    // time, then one tick run at their due time (delivery workers off: the tick's own work).
    const poll = await integration('status poll', 'PaymentStatus', {
      includeUpdate: true,
      continuous: true,
      defaultSchedule: 15,
      filter: 'state = "PENDING"',
    });
    const written = Date.parse('2026-11-30T10:01:00.000Z');
    const ports = { ...rowAdapters(), clock: { now: () => written } };
    await runLoad(tickRows, concurrency, async (i) => {
      await putRow(ports, 'erp', {
        entity: 'PaymentStatus',
        id: `pay-${i}`,
        data: { state: 'PENDING', n: i },
      });
    });
    const due = nextTick(nextTick(written, 15), 15);
    const tick = await measure(tickRows, () =>
      sendDueTicks({ ...rowAdapters(), clock: { now: () => due } }, { concurrency }),
    );

    return {
      count,
      concurrency,
      hubPerSecond: hubRun.perSecond,
      hubMedianMs: hubRun.medianMs,
      floorPerSecond: floorRun.perSecond,
      oneIntegration: { msPerChange: one.ms / CHANGES, work: one.work },
      hundredIntegrations: { msPerChange: hundred.ms / CHANGES, work: hundred.work },
      tick: {
        rows: tickRows,
        ms: tick.ms,
        run: tick.result,
        work: tick.work,
        integrationId: String(poll.id),
      },
      delivered: delivered.work,
    };
  } finally {
    metered.restore();
    sink.stop();
    await hub.stop();
  }
}

/**
 * The DynamoDB and SQS calls the hub makes for a PUT of a new row that one integration sends, made
 * directly: the key (consistent), the row (consistent), the integrations, the row with its outbox, the
 * message (is it stored already?), the message item, the hour's accepted count, the job, and the
 * outbox cleared.
 */
async function rowPutCalls(db: DynamoDBDocumentClient, sqs: SQSClient, id: string, body: string) {
  const registry = process.env[registryTable.envVar];
  const table = process.env[messagesTable.envVar];
  const pk = `ROW#Floor#${id}`;
  await db.send(
    new GetCommand({ TableName: registry, Key: { pk: 'APIKEY#floor', sk: 'APIKEY' }, ConsistentRead: true }),
  );
  await db.send(new GetCommand({ TableName: table, Key: { pk, sk: 'ROW' }, ConsistentRead: true }));
  await db.send(
    new QueryCommand({
      TableName: registry,
      IndexName: 'byKind',
      KeyConditionExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': 'integration' },
    }),
  );
  await db.send(
    new PutCommand({
      TableName: table,
      Item: { pk, sk: 'ROW', dataJson: body, version: 1, pending: [{ integrationId: 'i', version: 1 }] },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  await db.send(new GetCommand({ TableName: table, Key: { pk: `MSG#${id}`, sk: 'MSG' } }));
  await db.send(
    new BatchWriteCommand({
      RequestItems: {
        [table as string]: [{ PutRequest: { Item: { pk: `MSG#${id}`, sk: 'MSG', inline: body } } }],
      },
    }),
  );
  // The hour's accepted count (GET /admin/stats).
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: 'STATS#floor', sk: `00#*#${id.length % 8}` },
      UpdateExpression: 'ADD #c :n SET expiresAt = :exp',
      ExpressionAttributeNames: { '#c': 'accepted' },
      ExpressionAttributeValues: { ':n': 1, ':exp': 1 },
    }),
  );
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: process.env[deliveryQueue.envVar],
      Entries: [{ Id: '0', MessageBody: JSON.stringify({ messageId: id, integrationId: 'i' }) }],
    }),
  );
  await db.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk, sk: 'ROW' },
      UpdateExpression: 'SET pending = :none, rev = :r',
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':none': [], ':r': 2, ':v': 1 },
    }),
  );
}
