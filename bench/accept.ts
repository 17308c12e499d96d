import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startHub } from '../lib/local/hub.js';
import { deliveryQueue, messagesTable, registryTable } from '../lib/resources.js';
import { orderDocument } from './deliver.js';
import { runLoad } from './load.js';
import { BENCH_ADMIN_KEY, registerSenderAndReceiver } from './setup.js';

/**
 * POST /v1/messages through the local hub (delivery pollers off, so only accepting is measured) next
 * to the floor: the DynamoDB and SQS calls an accept makes, issued directly against the same emulators.
 */
export async function benchAccept(count = 2000, concurrency = 16, bytes = 2048) {
  const hub = await startHub({ port: 0, inMemory: true, adminKey: BENCH_ADMIN_KEY, deliveryConcurrency: 0 });
  try {
    const key = await registerSenderAndReceiver(hub, { url: 'http://127.0.0.1:9/unused' });
    const body = orderDocument(bytes);
    const post = async () => {
      const r = await fetch(`${hub.url}/v1/messages?sender=a&receiver=b&doctype=order`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body,
      });
      if (r.status !== 202) throw new Error(`accept answered ${r.status}`);
      await r.arrayBuffer();
    };
    await runLoad(200, concurrency, post); // warm-up
    const hubRun = await runLoad(count, concurrency, post);

    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const registry = process.env[registryTable.envVar];
    const messages = process.env[messagesTable.envVar];
    const queueUrl = process.env[deliveryQueue.envVar];
    const floor = async (i: number) => {
      await db.send(new GetCommand({ TableName: registry, Key: { pk: 'APIKEY#floor', sk: 'APIKEY' } }));
      await db.send(new GetCommand({ TableName: registry, Key: { pk: 'PARTNER#b', sk: 'PARTNER' } }));
      await db.send(
        new QueryCommand({
          TableName: registry,
          IndexName: 'byReceiver',
          KeyConditionExpression: 'receiver = :r',
          ExpressionAttributeValues: { ':r': 'b' },
        }),
      );
      const pk = `MSG#floor-${i}`;
      await db.send(
        new BatchWriteCommand({
          RequestItems: {
            [messages as string]: [
              { PutRequest: { Item: { pk, sk: 'MSG', body: Buffer.from(body) } } },
              { PutRequest: { Item: { pk, sk: 'DLV#x', status: 'queued' } } },
            ],
          },
        }),
      );
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [{ Id: '0', MessageBody: JSON.stringify({ messageId: pk }) }],
        }),
      );
    };
    await runLoad(200, concurrency, floor);
    const floorRun = await runLoad(count, concurrency, floor);
    db.destroy();
    sqs.destroy();
    return {
      count,
      concurrency,
      bytes,
      hubPerSecond: hubRun.perSecond,
      hubMedianMs: hubRun.medianMs,
      hubP99Ms: hubRun.p99Ms,
      floorPerSecond: floorRun.perSecond,
    };
  } finally {
    await hub.stop();
  }
}
