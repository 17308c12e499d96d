import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { HandlerExecutionContext, InitializeHandler, InitializeHandlerArguments } from '@smithy/types';
import { dynamoClient, s3, sqsClient } from '../functions/adapters/aws.js';
import { startHub } from '../lib/local/hub.js';
import { deliveryQueue, messagesTable, payloadBucket } from '../lib/resources.js';
import type { MeasuredWork } from './cost.js';
import { runLoad } from './load.js';
import { acceptCalls, BENCH_ADMIN_KEY, registerSenderAndReceiver } from './setup.js';

type Counts = Record<string, number>;

/** Counts every AWS call the hub's handlers make, by service and command, to price the work. */
export async function countCalls(): Promise<Counts> {
  const counts: Counts = {};
  for (const [service, client] of [
    ['DynamoDB', dynamoClient()],
    ['S3', (await s3()).client],
    ['SQS', sqsClient()],
  ] as const) {
    const counter =
      (next: InitializeHandler<object, object>, context: HandlerExecutionContext) =>
      async (args: InitializeHandlerArguments<object>) => {
        const name = `${service}.${String(context.commandName).replace(/Command$/, '')}`;
        counts[name] = (counts[name] ?? 0) + 1;
        if (service !== 'DynamoDB') return next(args);
        // Ask DynamoDB (the emulator computes it as DynamoDB does) what each call consumed.
        (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const c of (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as {
          WriteCapacityUnits?: number;
          ReadCapacityUnits?: number;
          CapacityUnits?: number;
        }[]) {
          const isWrite = /Put|Update|Delete|BatchWrite/.test(name);
          const units = c.CapacityUnits ?? (isWrite ? c.WriteCapacityUnits : c.ReadCapacityUnits) ?? 0;
          const unit = isWrite ? 'WRU' : 'RRU';
          counts[`DynamoDB.${unit}`] = (counts[`DynamoDB.${unit}`] ?? 0) + units;
          counts[`${name}.${unit}`] = (counts[`${name}.${unit}`] ?? 0) + units;
        }
        return result;
      };
    (client.middlewareStack as unknown as { add(m: typeof counter, o: object): void }).add(counter, {
      step: 'initialize',
      name: `benchCount${service}`,
    });
  }
  return counts;
}

/**
 * A purchase order of about `bytes` bytes with varied values, so that it compresses like a real one
 * (a run of one repeated character would flatter the deflated inline storage).
 */
export function orderDocument(bytes: number): string {
  const lines: unknown[] = [];
  let seed = 7;
  const next = () => {
    seed = (seed * 48271) % 2147483647;
    return seed;
  };
  const order = {
    orderNo: 'SO-2026-004711',
    customer: 'C-88213',
    currency: 'EUR',
    requestedDate: '2026-11-30',
    lines,
  };
  while (JSON.stringify(order).length < bytes - 90) {
    lines.push({
      line: lines.length + 1,
      sku: `SKU-${next() % 100000}`,
      qty: next() % 48,
      price: (next() % 100000) / 100,
      lot: next().toString(36),
    });
  }
  return JSON.stringify(order);
}

/** A loopback partner that notes when each webhook-id first arrived. */
export async function partner() {
  const firstSeen = new Map<string, number>();
  const server = createServer((req, res) => {
    const id = String(req.headers['webhook-id'] ?? '');
    if (!firstSeen.has(id)) firstSeen.set(id, performance.now());
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
    firstSeen,
    stop: () => server.close(),
  };
}

/**
 * Counts the bytes of the handlers' JSON log lines (Powertools, at INFO as on AWS) and of their EMF
 * metric lines (published as on AWS: they are log bytes too) while `measuring()`, and keeps them off
 * the bench's own output.
 */
export function countLogBytes(measuring: () => boolean) {
  const counted = { bytes: 0 };
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (!text.includes('"service":"crossdock"') && !text.includes('"_aws":')) return write(chunk, ...rest);
    if (measuring()) counted.bytes += Buffer.byteLength(text);
    return true;
  }) as typeof process.stdout.write;
  return { counted, restore: () => (process.stdout.write = write) };
}

/**
 * What a benchmark run measures of the hub's work, per item: every AWS call and DynamoDB capacity unit
 * (countCalls), each function's handler milliseconds and invocations (the hub's `onInvoke`), and log
 * bytes. Set up before the hub starts (its `onInvoke`, INFO logs and published metrics as on AWS);
 * the calls are counted from the first `measure`, once the hub has pointed the clients at its
 * emulators.
 */
export function meter() {
  const lambdaMs: Record<string, number> = {};
  const invocations: Record<string, number> = {};
  let measuring = false;
  // On AWS the functions log at INFO and publish their metrics; the local hub's defaults are WARN and off.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const logs = countLogBytes(() => measuring);
  let counts: Counts | undefined;
  return {
    onInvoke(name: string, ms: number) {
      if (!measuring) return;
      lambdaMs[name] = (lambdaMs[name] ?? 0) + ms;
      invocations[name] = (invocations[name] ?? 0) + 1;
    },
    /** Runs `work` over `n` items: its result, its wall milliseconds and what it took per item. */
    async measure<T>(
      n: number,
      work: () => Promise<T>,
    ): Promise<{ result: T; ms: number; work: MeasuredWork }> {
      counts ??= await countCalls();
      for (const o of [counts, lambdaMs, invocations]) for (const k of Object.keys(o)) delete o[k];
      logs.counted.bytes = 0;
      measuring = true;
      const started = performance.now();
      const result = await work();
      const ms = performance.now() - started;
      measuring = false;
      const per = (o: Record<string, number>) =>
        Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v / n]));
      return {
        result,
        ms,
        work: {
          perMessage: per(counts),
          lambdaMsPerMessage: per(lambdaMs),
          invocationsPerMessage: per(invocations),
          logBytesPerMessage: logs.counted.bytes / n,
        },
      };
    },
    restore: logs.restore,
  };
}

/** Resolves once the partner has seen `n` distinct webhook-ids. */
export async function seen(sink: { firstSeen: Map<string, number> }, n: number) {
  while (sink.firstSeen.size < n) await new Promise((r) => setTimeout(r, 10));
}

/**
 * Three runs through the local hub to a loopback partner, with workers polling the delivery queue as
 * an event source mapping would:
 * - end to end: messages posted at concurrency 16 while four workers deliver; latency from accept to
 *   the partner's receipt, and every AWS call, Lambda millisecond and log byte per message (the cost);
 * - delivery: the same number queued with the workers stopped, then drained by `concurrency` workers
 *   (as the floor's `concurrency` loops, each with a batch of ten in flight); this is the figure to
 *   set next to the floor, which does the delivery side only;
 * - the floor: the same SQS receive/delete, a DynamoDB read and update and the HTTP POST, made directly.
 */
/** Messages of the trickle run. */
const TRICKLE = 100;

export async function benchDeliver(count = 1500, concurrency = 16, bytes = 2048) {
  const metered = meter();
  const hub = await startHub({
    port: 0,
    inMemory: true,
    adminKey: BENCH_ADMIN_KEY,
    // Four pollers while posting: sixteen would only queue handlers behind one another on this CPU and
    // inflate the handler time the cost is priced from. The drain below runs sixteen.
    deliveryConcurrency: 4,
    onInvoke: metered.onInvoke,
  });
  const sink = await partner();
  try {
    // A cap above the 160 jobs sixteen pollers can hold, so it never binds (the floor has none), and
    // since it cannot bind the workers take no permits for it (core/delivery-policy.ts batchSizeCanBind).
    const key = await registerSenderAndReceiver(hub, sink, 200);
    const body = orderDocument(bytes);
    const post = async () => {
      const t = performance.now();
      const r = await fetch(`${hub.url}/v1/messages?sender=a&receiver=b&doctype=order`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body,
      });
      const { id } = (await r.json()) as { id: string };
      return { id, t };
    };

    /** Runs `work` over `n` messages and returns what it took per message. */
    const measure = async (n: number, work: () => Promise<void>): Promise<MeasuredWork> =>
      (await metered.measure(n, work)).work;

    // End to end.
    const sentAt = new Map<string, number>();
    const started = performance.now();
    const burst = await measure(count, async () => {
      await runLoad(count, concurrency, async () => {
        const { id, t } = await post();
        sentAt.set(id, t);
      });
      await seen(sink, count);
    });
    const endToEndPerSecond = count / ((Math.max(...sink.firstSeen.values()) - started) / 1000);
    const latencies = [...sink.firstSeen].map(
      ([webhookId, at]) => at - (sentAt.get(webhookId.split('.')[0] ?? '') ?? at),
    );
    latencies.sort((a, b) => a - b);

    // A trickle: one message at a time, each delivered before the next is posted, so every queue
    // batch holds one job and pays for its permits alone.
    const trickle = await measure(TRICKLE, async () => {
      for (let i = 1; i <= TRICKLE; i++) {
        await post();
        await seen(sink, count + i);
      }
    });

    // Delivery alone: queue them all, then let the workers drain the queue.
    await hub.stopWorkers();
    await runLoad(count, concurrency, async () => {
      await post();
    });
    const drainStarted = performance.now();
    await hub.startWorkers({ deliveryConcurrency: concurrency });
    await seen(sink, 2 * count + TRICKLE);
    const hubPerSecond = count / ((performance.now() - drainStarted) / 1000);

    // The floors: jobs already queued; 16 workers receive, read, update, POST and delete.
    await hub.stopWorkers();
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const payload = Buffer.from(body);
    const floors = { db, sqs, sink, payload, count, concurrency };
    // As the issue defines it: the document read from S3.
    const floorPerSecond = await directFloor(floors, 's3');
    // The same with the read the hub makes for a small document: DynamoDB, where it is kept inline.
    const dynamoFloorPerSecond = await directFloor(floors, 'dynamo');
    const sameCallsPerSecond = await sameCallsFloor(count, concurrency, db, sqs, sink, payload);
    db.destroy();
    sqs.destroy();
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return {
      count,
      concurrency,
      bytes,
      hubPerSecond,
      floorPerSecond,
      dynamoFloorPerSecond,
      endToEndPerSecond,
      sameCallsPerSecond,
      medianMs: at(0.5),
      p99Ms: at(0.99),
      burst,
      trickle,
    };
  } finally {
    metered.restore();
    sink.stop();
    await hub.stop();
  }
}

/**
 * `loops` loops receive up to ten jobs at a time from the queue, hand each non-empty batch to
 * `handle` and delete it, until `count` jobs are done. With `waitSeconds` 0 an empty receive is
 * retried after 5 ms, so no loop sits in a long poll after the last job.
 */
async function drainJobs(
  sqs: SQSClient,
  queueUrl: string | undefined,
  loops: number,
  count: number,
  waitSeconds: number,
  handle: (messages: Message[]) => Promise<unknown>,
): Promise<void> {
  let done = 0;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (done < count) {
        const r = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: waitSeconds,
          }),
        );
        const messages = r.Messages ?? [];
        if (messages.length === 0) {
          if (waitSeconds === 0) await new Promise((x) => setTimeout(x, 5));
          continue;
        }
        await handle(messages);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
        done += messages.length;
      }
    }),
  );
}

/**
 * The delivery floor: `concurrency` loops receive up to ten queued jobs, read each document (from S3,
 * or from a DynamoDB item), POST it to the partner, mark it delivered with a DynamoDB update and
 * delete the batch: the calls the issue names, made directly.
 */
async function directFloor(
  o: {
    db: DynamoDBDocumentClient;
    sqs: SQSClient;
    sink: { url: string };
    payload: Buffer;
    count: number;
    concurrency: number;
  },
  read: 's3' | 'dynamo',
): Promise<number> {
  const s3Client = (await s3()).client;
  const { db, sqs, count } = o;
  const table = process.env[messagesTable.envVar];
  const bucket = process.env[payloadBucket.envVar];
  const queueUrl = process.env[deliveryQueue.envVar];
  const pkOf = (i: number | string) => `FLOOR#${read}#${i}`;
  for (let i = 0; i < count; i += 10) {
    const ids = Array.from({ length: Math.min(10, count - i) }, (_, j) => i + j);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ids.map((id, j) => ({ Id: String(j), MessageBody: String(id) })),
      }),
    );
    await Promise.all(
      ids.map((id) =>
        read === 's3'
          ? s3Client.send(new PutObjectCommand({ Bucket: bucket, Key: `floor/${id}`, Body: o.payload }))
          : db.send(new PutCommand({ TableName: table, Item: { pk: pkOf(id), sk: 'MSG', body: o.payload } })),
      ),
    );
  }
  const document = async (id: string): Promise<Uint8Array> => {
    if (read === 's3') {
      const r = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: `floor/${id}` }));
      return (await r.Body?.transformToByteArray()) ?? new Uint8Array();
    }
    const r = await db.send(new GetCommand({ TableName: table, Key: { pk: pkOf(id), sk: 'MSG' } }));
    return r.Item?.body as Uint8Array;
  };
  const started = performance.now();
  await drainJobs(sqs, queueUrl, o.concurrency, count, 0, (messages) =>
    Promise.all(
      messages.map(async (m) => {
        const id = String(m.Body);
        await fetch(o.sink.url, {
          method: 'POST',
          body: await document(id),
          headers: { 'webhook-id': `floor.${read}.${id}` },
        }).then((x) => x.arrayBuffer());
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk: pkOf(id), sk: 'MSG' },
            UpdateExpression: 'SET delivered = :t',
            ExpressionAttributeValues: { ':t': true },
          }),
        );
      }),
    ),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * A second floor, closer to what the hub must do: every DynamoDB and SQS call the hub makes for one
 * message (authenticate, find the receiver, route, store, enqueue; then receive, take the batch's
 * permits, read, claim the attempt, POST, record, give the permits back, delete), made directly,
 * accepting and delivering at once. The gap between this and the hub is the hub's own overhead (HTTP, events, middleware, logs).
 */
async function sameCallsFloor(
  count: number,
  concurrency: number,
  db: DynamoDBDocumentClient,
  sqs: SQSClient,
  sink: { url: string; firstSeen: Map<string, number> },
  payload: Buffer,
): Promise<number> {
  const table = process.env[messagesTable.envVar] as string;
  const queueUrl = process.env[deliveryQueue.envVar];
  const started = performance.now();
  const accept = runLoad(count, concurrency, async (i) => {
    const pk = `SAME#${i}`;
    await acceptCalls(db, sqs, pk, payload, pk);
  });
  const deliver = drainJobs(sqs, queueUrl, concurrency, count, 1, async (messages) => {
    // The batch's in-flight permits: one write to take them, one to give them back.
    const permits = { pk: 'INFLIGHT#same', sk: 'INFLIGHT' };
    const permitsChange = (n: number) =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: permits,
          UpdateExpression: 'SET #t = if_not_exists(#t, :z) + :n',
          ExpressionAttributeNames: { '#t': 'total' },
          ExpressionAttributeValues: { ':z': 0, ':n': n },
        }),
      );
    await permitsChange(messages.length);
    await Promise.all(
      messages.map(async (m) => {
        const pk = String(m.Body);
        const keys = [
          { pk, sk: 'MSG' },
          { pk, sk: 'DLV#x' },
        ];
        const got = await db.send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
        );
        await db.send(
          new PutCommand({
            TableName: table,
            Item: { ...keys[1], status: 'queued', attemptCount: 1 },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        const body = got.Responses?.[table]?.find((x) => x.sk === 'MSG')?.body as Uint8Array;
        await fetch(sink.url, { method: 'POST', body, headers: { 'webhook-id': `same.${pk}` } }).then((x) =>
          x.arrayBuffer(),
        );
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys[1],
            UpdateExpression: 'SET #s = :d, attempts = list_append(if_not_exists(attempts, :e), :a)',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':d': 'delivered', ':e': [], ':a': [{ n: 1, statusCode: 200 }] },
          }),
        );
      }),
    );
    await permitsChange(-messages.length);
  });
  await Promise.all([accept, deliver]);
  return count / ((performance.now() - started) / 1000);
}
