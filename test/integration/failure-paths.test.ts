import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliveryQueue,
  messagesTable,
  orderedDeliveryQueue,
  payloadBucket,
  uploadQueue,
} from '../../lib/resources.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * What the hub does when a part of AWS fails under it: a queue that is gone, a letter on a
 * dead-letter queue, a table that is gone. Each fault is made with the real SDK against the emulators
 * under a running hub (nothing is mocked), and each test puts back what it broke.
 */
describe('failure paths', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key: string;
  let sqs: SQSClient;
  let dynamo: DynamoDBClient;
  let s3: S3Client;
  let n = 0;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    // Clients of the test itself, on the emulators the hub started (their endpoints are in the env).
    sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    dynamo = new DynamoDBClient({});
    s3 = new S3Client({ forcePathStyle: true });
    await hub.admin('POST', '/admin/partners', { code: 'src', name: 'source' });
    key = (await hub.admin('POST', '/admin/partners/src/keys', {})).json.key;
  });
  afterAll(async () => {
    sqs?.destroy();
    dynamo?.destroy();
    s3?.destroy();
    await partner?.stop();
    await hub?.stop();
  });

  /** A fresh receiver with one integration per spec (each over outboundIntegration's defaults). */
  async function receiver(...integrations: Record<string, unknown>[]) {
    const code = `rcv${++n}`;
    expect((await hub.admin('POST', '/admin/partners', { code, name: code })).status).toBe(201);
    const ids: string[] = [];
    for (const [i, extra] of integrations.entries()) {
      const created = await hub.admin('POST', '/admin/integrations', {
        ...outboundIntegration(`${code} ${i}`, code, partner.url),
        ...extra,
      });
      expect(created.status).toBe(201);
      ids.push(created.json.id);
    }
    return { code, ids };
  }
  /** A push integration to `path` on the partner server. */
  const push = (path: string, extra: Record<string, unknown> = {}) => ({
    ...extra,
    delivery: { mode: 'push', url: partner.url.replace('/inbound', path), format: 'raw' },
  });
  const post = (receiverCode: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    hub.partner('POST', `/v1/messages?sender=src&receiver=${receiverCode}&doctype=order`, key, {
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const message = async (id: string) => (await hub.admin('GET', `/admin/messages/${id}`)).json;
  const settled = (id: string) =>
    eventually(
      async () => {
        const m = await message(id);
        return ['delivered', 'failed'].includes(m.status) ? m : undefined;
      },
      30_000,
      `message ${id} to settle`,
    );

  /**
   * Runs `during` while the queue behind `envVar` does not exist (deleted with the real SQS client),
   * then creates it again with the same name and settings, so its URL works again.
   */
  async function withoutQueue<T>(envVar: string, during: () => Promise<T>): Promise<T> {
    const url = process.env[envVar] as string;
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );
    const kept = ['VisibilityTimeout', 'MessageRetentionPeriod', 'RedrivePolicy', 'FifoQueue'];
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    try {
      return await during();
    } finally {
      const created = await sqs.send(
        new CreateQueueCommand({
          QueueName: url.split('/').at(-1),
          Attributes: Object.fromEntries(Object.entries(Attributes).filter(([k]) => kept.includes(k))),
        }),
      );
      expect(created.QueueUrl?.split('/').at(-1)).toBe(url.split('/').at(-1));
    }
  }

  /** Every item of the messages table that belongs to a message or an Idempotency-Key (test-only Scan). */
  async function messageItems(): Promise<string[]> {
    const items: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const r = await dynamo.send(
        new ScanCommand({
          TableName: process.env[messagesTable.envVar],
          ProjectionExpression: 'pk, sk',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const i of r.Items ?? []) {
        const pk = i.pk?.S ?? '';
        if (pk.startsWith('MSG#') || pk.startsWith('IDEM#')) items.push(`${pk} ${i.sk?.S}`);
      }
      start = r.LastEvaluatedKey;
    } while (start);
    return items.sort();
  }

  /** Every object under payloads/ in the payload bucket. */
  async function payloadObjects(): Promise<string[]> {
    const r = await s3.send(
      new ListObjectsV2Command({ Bucket: process.env[payloadBucket.envVar], Prefix: 'payloads/' }),
    );
    return (r.Contents ?? []).map((o) => o.Key ?? '').sort();
  }

  /** Messages waiting or in flight on a queue. */
  async function depth(url: string): Promise<number> {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  /** The hub's generic 5xx body, and none of the given internals anywhere in it. */
  function expectGeneric5xx(r: { status: number; json: any; raw: Buffer }, internals: string[]) {
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.json).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    const text = r.raw.toString('utf8');
    for (const internal of [...internals, 'stack', '    at ', 'Exception', '.ts:', '.js:']) {
      expect(text).not.toContain(internal);
    }
  }

  describe('a message whose delivery job cannot be queued', () => {
    /** Posts each document with its own Idempotency-Key while the delivery queue is gone: all refused. */
    async function refusedWhileQueueGone(code: string, documents: Record<string, Buffer>) {
      await withoutQueue(deliveryQueue.envVar, async () => {
        for (const [name, body] of Object.entries(documents)) {
          const r = await post(code, body, { 'idempotency-key': `${code}-${name}` });
          expectGeneric5xx(r, ['DeliveryQueue', 'QueueDoesNotExist', 'NonExistentQueue']);
          expect(r.status).toBe(503);
          expect(r.json.error.code).toBe('unavailable');
        }
      });
    }
    const documents = () => ({
      inline: Buffer.from('{"order":"inline"}'),
      // Random bytes do not deflate: over the inline limit, so the payload goes to S3.
      s3: Buffer.from(JSON.stringify({ order: randomBytes(8 * 1024).toString('base64') })),
    });

    it('is refused with its rows removed and its Idempotency-Key freed: a retry with the same key and body is a new message', async () => {
      // A push delivery (queued) and a pull one (whose row is written with the message).
      const { code } = await receiver(push('/rollback'), { delivery: { mode: 'pull' } });
      const docs = documents();
      const itemsBefore = await messageItems();
      await refusedWhileQueueGone(code, docs);
      // No message item (the inline document with it), no delivery row, no claimed key.
      expect(await messageItems()).toEqual(itemsBefore);

      // The queue is back: the same key and body make a new message (202, not a 200 replay)...
      for (const [name, body] of Object.entries(docs)) {
        const accepted = await post(code, body, { 'idempotency-key': `${code}-${name}` });
        expect(accepted.status).toBe(202);
        // ...which the key now stands for...
        const replay = await post(code, body, { 'idempotency-key': `${code}-${name}` });
        expect(replay.status).toBe(200);
        expect(replay.json.id).toBe(accepted.json.id);
        // ...and which is delivered whole.
        const seen = await eventually(async () =>
          partner.received.find((r) => r.headers['webhook-id']?.startsWith(`${accepted.json.id}.`)),
        );
        expect(Buffer.compare(seen.body, body)).toBe(0);
      }
    });

    // storeMessage writes a large document to S3 before the rows: its rollback removes the object too.
    it('leaves no stored document in S3 behind', async () => {
      const { code } = await receiver(push('/rollback-s3'));
      const objectsBefore = await payloadObjects();
      await refusedWhileQueueGone(code, { s3: documents().s3 });
      expect(await payloadObjects()).toEqual(objectsBefore);
    });
  });

  describe('POST /admin/messages/{id}/retry', () => {
    it('puts the deliveries back to failed with the reason when the retry cannot be queued; a later retry starts again from attempt 1 in a new round', async () => {
      let up = false;
      partner.respondWith((r, res) => {
        res.statusCode = r.url.pathname === '/flaky' && !up ? 500 : 200;
        res.end();
      });
      const {
        code,
        ids: [integrationId],
      } = await receiver(push('/flaky', { maxAttempts: 1 }));
      const id = (await post(code, '{"order":"retry"}')).json.id as string;
      const failed = await settled(id);
      expect(failed.status).toBe('failed');
      expect(failed.deliveries[0].attempts).toMatchObject([{ n: 1, round: 0, statusCode: 500 }]);

      const retry = await withoutQueue(deliveryQueue.envVar, () =>
        hub.admin('POST', `/admin/messages/${id}/retry`),
      );
      expectGeneric5xx(retry, ['DeliveryQueue', 'QueueDoesNotExist', 'NonExistentQueue']);
      const compensated = await message(id);
      expect(compensated.status).toBe('failed');
      expect(compensated.deliveries).toEqual([
        expect.objectContaining({
          integrationId,
          status: 'failed',
          error: 'The retry could not be queued; try again.',
          attempts: [expect.objectContaining({ n: 1, round: 0 })],
        }),
      ]);

      // Failed again, it is picked up by the next retry, which goes through.
      up = true;
      const again = await hub.admin('POST', `/admin/messages/${id}/retry`);
      expect(again).toMatchObject({ status: 202, json: { retried: [integrationId] } });
      const delivered = await eventually(async () => {
        const m = await message(id);
        return m.status === 'delivered' ? m : undefined;
      });
      const [first, second, ...more] = delivered.deliveries[0].attempts;
      expect(more).toEqual([]);
      expect(first).toMatchObject({ n: 1, round: 0, statusCode: 500 });
      expect(second).toMatchObject({ n: 1, statusCode: 200 });
      expect(second.round).toBeGreaterThan(first.round);
      expect(delivered.deliveries[0].error).toBeUndefined();
      partner.respondWith((_r, res) => res.end('ok'));
    });
  });

  describe('dead-letter consumers', () => {
    it('marks a queued ordered delivery failed when its job lands on the ordered dead-letter queue, and consumes the letter', async () => {
      const {
        code,
        ids: [integrationId],
      } = await receiver(push('/ordered', { parallel: false }));
      const orderedUrl = process.env[orderedDeliveryQueue.envVar] as string;
      const dlqUrl = process.env[orderedDeliveryQueue.deadLetter.envVar] as string;
      // No worker runs while the job is moved, so the delivery is still queued when it is dead-lettered.
      await hub.stopWorkers();
      let id: string;
      try {
        id = (await post(code, '{"order":"ordered"}')).json.id;
        expect((await message(id)).deliveries).toMatchObject([{ integrationId, status: 'queued' }]);
        // What SQS does after maxReceiveCount: the job leaves the FIFO queue for its dead-letter queue.
        const job = await eventually(async () => {
          const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: orderedUrl, WaitTimeSeconds: 1 }));
          return r.Messages?.[0];
        });
        expect(JSON.parse(job.Body ?? '')).toEqual({ messageId: id, integrationId });
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: dlqUrl,
            MessageBody: job.Body,
            MessageGroupId: integrationId,
            MessageDeduplicationId: `${id}.dead`,
          }),
        );
        await sqs.send(new DeleteMessageCommand({ QueueUrl: orderedUrl, ReceiptHandle: job.ReceiptHandle }));
      } finally {
        await hub.startWorkers();
      }
      const m = await settled(id);
      expect(m.status).toBe('failed');
      expect(m.deliveries).toEqual([
        expect.objectContaining({
          integrationId,
          status: 'failed',
          error: expect.stringMatching(/^The delivery job was dead-lettered after \d+ receives/),
          attempts: [],
        }),
      ]);
      // Consumed, not swept: the letter is gone once its delivery is marked.
      await eventually(async () => ((await depth(dlqUrl)) === 0 ? true : undefined));
      // And the operator is told, once (GET /admin/events).
      const told = await eventually(async () => {
        const r = await hub.admin('GET', '/admin/events?type=deadletter.marked');
        const mine = (r.json.events as { messageId?: string }[]).filter((e) => e.messageId === id);
        return mine.length > 0 ? mine : undefined;
      });
      expect(told).toEqual([expect.objectContaining({ type: 'deadletter.marked', integrationId })]);
    });

    /** The upload's record as the table keeps it (no route shows an upload that never became a message). */
    const uploadRecord = async (id: string) => {
      const r = await dynamo.send(
        new GetItemCommand({
          TableName: process.env[messagesTable.envVar],
          Key: { pk: { S: `MSG#${id}` }, sk: { S: 'UPLOAD' } },
          ConsistentRead: true,
        }),
      );
      return { status: r.Item?.status?.S, error: r.Item?.error?.S };
    };
    /** An S3 ObjectCreated notification for `key`, as S3 sends it and the upload queue's DLQ keeps it. */
    const notification = (objectKey: string, size: number) =>
      JSON.stringify({
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: {
              bucket: { name: process.env[payloadBucket.envVar] },
              object: { key: objectKey, size, eTag: '"0123456789abcdef0123456789abcdef"' },
            },
          },
        ],
      });

    it('marks an awaiting upload failed when its notification lands on the upload dead-letter queue; an accepted one stays accepted', async () => {
      const { code } = await receiver(push('/uploaded'));
      const dlqUrl = process.env[uploadQueue.deadLetter.envVar] as string;
      const announce = () =>
        hub.partner('POST', `/v1/messages/uploads?sender=src&receiver=${code}&doctype=order&size=10`, key);

      const awaiting = await announce();
      expect(awaiting.status).toBe(201);
      expect(await uploadRecord(awaiting.json.id)).toEqual({ status: 'awaiting', error: undefined });
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: notification(`uploads/${awaiting.json.id}`, 10),
        }),
      );
      expect(
        await eventually(async () => {
          const u = await uploadRecord(awaiting.json.id);
          return u.status === 'awaiting' ? undefined : u;
        }),
      ).toEqual({
        status: 'failed',
        error: 'The upload could not be accepted; the hub gave up after repeated errors.',
      });
      await eventually(async () => ((await depth(dlqUrl)) === 0 ? true : undefined));

      // A late dead letter of an upload that was accepted changes nothing.
      const accepted = await announce();
      const put = await fetch(accepted.json.uploadUrl, {
        method: 'PUT',
        body: '0123456789',
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(put.status).toBe(200);
      await eventually(async () =>
        (await message(accepted.json.id)).status === 'delivered' ? true : undefined,
      );
      expect(await uploadRecord(accepted.json.id)).toEqual({ status: 'accepted', error: undefined });
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: dlqUrl,
          MessageBody: notification(`uploads/${accepted.json.id}`, 10),
        }),
      );
      // Once the consumer has taken the letter (it deletes what it handled), the record is read.
      await eventually(async () => ((await depth(dlqUrl)) === 0 ? true : undefined));
      expect(await uploadRecord(accepted.json.id)).toEqual({ status: 'accepted', error: undefined });
      expect((await message(accepted.json.id)).status).toBe('delivered');
    });
  });

  it('answers an internal error (its table deleted under the hub) with the generic body: no stack, no SDK text, no table name', async () => {
    const { code } = await receiver(push('/no-table'));
    const id = (await post(code, '{"order":"before"}')).json.id as string;
    await settled(id);
    const table = process.env[messagesTable.envVar] as string;
    const { Table: described } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    await dynamo.send(new DeleteTableCommand({ TableName: table }));
    try {
      // What the SDK says about the missing table, to look for in the answers.
      const sdkError = await dynamo
        .send(new GetItemCommand({ TableName: table, Key: { pk: { S: `MSG#${id}` }, sk: { S: 'MSG' } } }))
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(sdkError?.name).toBe('ResourceNotFoundException');
      const internals = [table, sdkError?.name ?? '', sdkError?.message ?? ''];
      const reads = [
        await hub.admin('GET', `/admin/messages/${id}`),
        await hub.partner('GET', `/v1/messages/${id}`, key),
      ];
      for (const r of reads) {
        expect(r.status).toBe(500);
        expect(r.json).toEqual({
          error: { code: 'internal_error', message: 'Something went wrong on our side; retry later.' },
        });
        expectGeneric5xx(r, internals);
      }
      // A post that cannot be stored says so, and still shows nothing of the cause.
      const posted = await post(code, '{"order":"after"}');
      expect(posted.status).toBe(503);
      expect(posted.json).toEqual({
        error: {
          code: 'unavailable',
          message: 'The message could not be stored; nothing was accepted. Retry later.',
        },
      });
      expectGeneric5xx(posted, internals);
    } finally {
      await dynamo.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: described?.AttributeDefinitions,
          KeySchema: described?.KeySchema,
          ...(described?.GlobalSecondaryIndexes?.length
            ? {
                GlobalSecondaryIndexes: described.GlobalSecondaryIndexes.map((g) => ({
                  IndexName: g.IndexName,
                  KeySchema: g.KeySchema,
                  Projection: g.Projection,
                })),
              }
            : {}),
        }),
      );
    }
    // The hub answers again once the table is back (the message itself went with the old table).
    expect((await hub.admin('GET', `/admin/messages/${id}`)).status).toBe(404);
  });
});
