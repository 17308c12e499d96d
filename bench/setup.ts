import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RunningHub } from '../lib/local/hub.js';
import { deliveryQueue, messagesTable, registryTable } from '../lib/resources.js';

export const BENCH_ADMIN_KEY = 'bench-admin-key';

/**
 * Registers sender `a`, receiver `b`, a key for `a` and one push integration a → b (doctype order) on
 * a benchmark hub; returns `a`'s key.
 */
export async function registerSenderAndReceiver(
  hub: RunningHub,
  delivery: { url: string },
  batchSize = 10,
): Promise<string> {
  const admin = (path: string, body: unknown) =>
    fetch(`${hub.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json() as Promise<Record<string, string>>);
  await admin('/admin/partners', { code: 'a', name: 'a' });
  await admin('/admin/partners', { code: 'b', name: 'b' });
  const key = (await admin('/admin/partners/a/keys', {})).key as string;
  await admin('/admin/integrations', {
    name: 'bench',
    direction: 'Outbound',
    entity: 'order',
    consentType: 'None',
    receiver: 'b',
    batchSize,
    delivery: { mode: 'push', url: delivery.url },
  });
  return key;
}

/**
 * The DynamoDB and SQS calls the hub makes to accept one message, made directly: the key (strongly
 * consistent, as the hub reads it), the receiver, the integrations that route to it, the message item
 * (its delivery rows come with the first claim) and the job. Both floors of the benchmarks use it.
 */
export async function acceptCalls(
  db: DynamoDBDocumentClient,
  sqs: SQSClient,
  pk: string,
  body: Uint8Array,
  job: string,
): Promise<void> {
  const registry = process.env[registryTable.envVar];
  await db.send(
    new GetCommand({ TableName: registry, Key: { pk: 'APIKEY#floor', sk: 'APIKEY' }, ConsistentRead: true }),
  );
  await db.send(new GetCommand({ TableName: registry, Key: { pk: 'PARTNER#b', sk: 'PARTNER' } }));
  await db.send(
    new QueryCommand({
      TableName: registry,
      IndexName: 'byReceiver',
      KeyConditionExpression: 'receiver = :r',
      ExpressionAttributeValues: { ':r': 'b' },
    }),
  );
  await db.send(
    new BatchWriteCommand({
      RequestItems: {
        [process.env[messagesTable.envVar] as string]: [{ PutRequest: { Item: { pk, sk: 'MSG', body } } }],
      },
    }),
  );
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: process.env[deliveryQueue.envVar],
      Entries: [{ Id: '0', MessageBody: job }],
    }),
  );
}
