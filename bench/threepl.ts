import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { hashPassword, verifyPassword } from '../functions/core/tokens.js';
import { LINE_CONCURRENCY, mapPool } from '../functions/usecases/replication.js';
import { startHub } from '../lib/local/hub.js';
import { deliveryQueue, messagesTable, registryTable } from '../lib/resources.js';
import { runLoad } from './load.js';

const ADMIN = 'bench-admin-key';
const LINES_PER_POST = 1000;

/**
 * The 3PL API on the local hub (delivery pollers off, so only accepting is measured): tokens issued
 * per second, and replication lines accepted per second in 1,000-line posts, each next to its floor,
 * the same scrypt and DynamoDB/SQS calls made directly against the same emulators. Prints nothing.
 */
export async function benchThreepl(
  options: { tokens?: number; tokenConcurrency?: number; posts?: number } = {},
): Promise<Record<string, string | number>> {
  const tokens = options.tokens ?? 100;
  const tokenConcurrency = options.tokenConcurrency ?? 4;
  const posts = options.posts ?? 3;
  const hub = await startHub({ port: 0, inMemory: true, adminKey: ADMIN, deliveryConcurrency: 0 });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
  try {
    const admin = async (method: string, path: string, body: unknown) => {
      const r = await fetch(`${hub.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}`);
      await r.arrayBuffer();
    };
    await admin('POST', '/admin/partners', { code: 'wms', name: 'wms' });
    await admin('POST', '/admin/partners', { code: 'flex', name: 'flex' });
    await admin('PUT', '/admin/partners/wms/credentials', {
      username: 'wms-user',
      password: 'bench-password',
    });
    await admin('POST', '/admin/integrations', {
      name: 'wms lines',
      direction: 'Outbound',
      entity: 'replication',
      consentType: 'None',
      receiver: 'flex',
      sender: 'wms',
      delivery: { mode: 'push', url: 'http://127.0.0.1:9/unused' },
    });

    const basic = `Basic ${Buffer.from('wms-user:bench-password').toString('base64')}`;
    let token = '';
    const issue = async () => {
      const r = await fetch(`${hub.url}/v1/generatetoken`, {
        headers: { authorization: basic, 'content-type': 'application/json; charset=utf8' },
      });
      if (r.status !== 200) throw new Error(`generatetoken answered ${r.status}`);
      token = ((await r.json()) as { AccessToken: string }).AccessToken;
    };
    await runLoad(10, tokenConcurrency, issue); // warm-up
    const tokenRun = await runLoad(tokens, tokenConcurrency, issue);

    const registry = process.env[registryTable.envVar] as string;
    const messages = process.env[messagesTable.envVar] as string;
    const queueUrl = process.env[deliveryQueue.envVar] as string;
    const storedHash = await hashPassword('bench-password');
    const tokenFloor = async (i: number) => {
      await db.send(
        new GetCommand({ TableName: registry, Key: { pk: 'LOGINFAIL#wms-user', sk: 'LOGINFAIL' } }),
      );
      await db.send(new GetCommand({ TableName: registry, Key: { pk: 'CRED#wms-user', sk: 'CRED' } }));
      await verifyPassword('bench-password', storedHash);
      await db.send(
        new PutCommand({
          TableName: registry,
          Item: { pk: `TOKEN#floor-${i}`, sk: 'TOKEN', partnerCode: 'wms' },
        }),
      );
    };
    await runLoad(10, tokenConcurrency, tokenFloor);
    const tokenFloorRun = await runLoad(tokens, tokenConcurrency, tokenFloor);

    const body = () =>
      JSON.stringify({
        repLines: Array.from({ length: LINES_PER_POST }, (_, i) => ({
          apiuuid: randomUUID(),
          apiid: 'PH',
          senderidentification: 'bench-3pl',
          nodes: [
            { name: 'pallet_#', value: String(10_000_000 + i) },
            { name: 'coolstore_c', value: '1ABC' },
          ],
        })),
      });
    const postOnce = async () => {
      const r = await fetch(`${hub.url}/v1/replicationpost`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf8' },
        body: body(),
      });
      if (r.status !== 200) throw new Error(`replicationpost answered ${r.status}: ${await r.text()}`);
      await r.arrayBuffer();
    };
    await postOnce(); // warm-up
    const postRun = await runLoad(posts, 1, postOnce);

    // The calls one post makes, made directly: the token, credential, dictionary and integration
    // reads, then per line a claim, the message and its delivery, the queue job and the claim's
    // completion (LINE_CONCURRENCY at a time), then the post's lines and head.
    const postFloor = async (p: number) => {
      await db.send(new GetCommand({ TableName: registry, Key: { pk: 'TOKEN#floor-0', sk: 'TOKEN' } }));
      await db.send(new GetCommand({ TableName: registry, Key: { pk: 'CRED#wms-user', sk: 'CRED' } }));
      await db.send(
        new BatchGetCommand({
          RequestItems: { [registry]: { Keys: [{ pk: 'FIELDS#PH', sk: 'FIELDS' }], ConsistentRead: true } },
        }),
      );
      await db.send(
        new QueryCommand({
          TableName: registry,
          IndexName: 'byKind',
          KeyConditionExpression: 'kind = :k',
          ExpressionAttributeValues: { ':k': 'integration' },
        }),
      );
      const lines = Array.from({ length: LINES_PER_POST }, (_, i) => `floor-${p}-${i}`);
      await mapPool(lines, LINE_CONCURRENCY, async (id) => {
        const claim = { pk: `APIUUID#wms#${id}`, sk: 'APIUUID' };
        await db.send(
          new PutCommand({
            TableName: messages,
            Item: { ...claim, communicationId: 'c', claimedAtMs: 0 },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        const pk = `MSG#${id}`;
        await db.send(
          new BatchWriteCommand({
            RequestItems: {
              [messages]: [
                { PutRequest: { Item: { pk, sk: 'MSG', body: 'x'.repeat(200) } } },
                { PutRequest: { Item: { pk, sk: 'DLV#x', status: 'queued' } } },
              ],
            },
          }),
        );
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: [{ Id: '0', MessageBody: JSON.stringify({ messageId: id, integrationId: 'x' }) }],
          }),
        );
        await db.send(
          new UpdateCommand({
            TableName: messages,
            Key: claim,
            UpdateExpression: 'SET messageIds = :m',
            ExpressionAttributeValues: { ':m': [id] },
          }),
        );
      });
      for (let i = 0; i < lines.length; i += 25) {
        await db.send(
          new BatchWriteCommand({
            RequestItems: {
              [messages]: lines.slice(i, i + 25).map((id, n) => ({
                PutRequest: {
                  Item: { pk: `COMM#floor-${p}`, sk: `LINE#${i + n}`, status: 'received', messageIds: [id] },
                },
              })),
            },
          }),
        );
      }
      await db.send(new PutCommand({ TableName: messages, Item: { pk: `COMM#floor-${p}`, sk: 'COMM' } }));
    };
    await postFloor(-1);
    const postFloorRun = await runLoad(posts, 1, postFloor);

    const linesPerSecond = postRun.perSecond * LINES_PER_POST;
    const floorLinesPerSecond = postFloorRun.perSecond * LINES_PER_POST;
    return {
      'tokens issued/s (GET /v1/generatetoken)': Math.round(tokenRun.perSecond),
      'tokens floor/s (scrypt + the same DynamoDB calls, directly)': Math.round(tokenFloorRun.perSecond),
      'token concurrency': tokenConcurrency,
      'replication lines accepted/s (1,000-line posts, one post at a time)': Math.round(linesPerSecond),
      'replication floor lines/s (the same DynamoDB/SQS calls, directly)': Math.round(floorLinesPerSecond),
      'replication ratio (hub / floor)': (linesPerSecond / floorLinesPerSecond).toFixed(2),
      'replication post median ms': Math.round(postRun.medianMs),
      posts,
    };
  } finally {
    db.destroy();
    sqs.destroy();
    await hub.stop();
  }
}
