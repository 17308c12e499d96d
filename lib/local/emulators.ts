import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { payloadBucket, queues, type TableDefinition, tables, topics } from '../resources.js';
import {
  type DynamoDbLocal,
  SHARED_DYNAMODB_LOCAL_ENV,
  startDynamoDbLocal,
  useDynamoDbLocal,
} from './dynamodb-local.js';

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local-secret' };
export const LOCAL_REGION = 'us-east-1';

export interface EmbeddedAws {
  dynamoEndpoint: string;
  /** SQS, SNS and S3 (fauxqs serves all three on one port). */
  fauxqsEndpoint: string;
  /** Environment for the handlers: resource names and URLs, endpoints, credentials. */
  env: Record<string, string>;
  queueUrls: Record<string, string>;
  /** Topic ARNs by the env var of their definition. */
  topicArns: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB (dynalite) and SQS/SNS/S3 (fauxqs) in this process and creates the tables, queues,
 * topics and bucket from the same definitions the CDK stack uses. With a data directory, both keep their
 * state there across restarts; without one, everything lives in memory. With `CROSSDOCK_DYNAMODB=local`,
 * DynamoDB is AWS's DynamoDB Local (a JVM) instead of dynalite: see ./dynamodb-local.ts.
 */
export async function startEmbeddedAws(dataDir?: string): Promise<EmbeddedAws> {
  const dynamoDb = await startDynamoDb(dataDir);
  const { endpoint: dynamoEndpoint, tableNames } = dynamoDb;
  const fauxqs = await startFauxqs({
    port: 0,
    logger: false,
    ...(dataDir ? { dataDir: join(dataDir, 'fauxqs') } : {}),
  });
  const fauxqsEndpoint = fauxqs.address.replace('localhost', '127.0.0.1');
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

  const dynamo = new DynamoDBClient({ ...common, endpoint: dynamoEndpoint });
  for (const table of tables) await ensureTable(dynamo, table, tableNames[table.envVar] as string);

  const sqs = new SQSClient({ ...common, endpoint: fauxqsEndpoint });
  const queueUrls: Record<string, string> = {};
  // Crash-recovery tests shorten how long an unfinished job stays hidden after its worker died.
  const visibilityOverride = process.env.CROSSDOCK_QUEUE_VISIBILITY_SECONDS
    ? Number(process.env.CROSSDOCK_QUEUE_VISIBILITY_SECONDS)
    : undefined;
  for (const q of queues) {
    const suffix = q.fifo ? '.fifo' : '';
    const fifo = q.fifo ? { FifoQueue: 'true' } : {};
    const dlq = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${q.deadLetter.id}${suffix}`,
        Attributes: { MessageRetentionPeriod: String(q.deadLetter.retentionSeconds), ...fifo },
      }),
    );
    const dlqArn = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${q.id}${suffix}`,
        Attributes: {
          ...fifo,
          VisibilityTimeout: String(visibilityOverride ?? q.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(q.retentionSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
            maxReceiveCount: q.maxReceiveCount,
          }),
        },
      }),
    );
    queueUrls[q.envVar] = main.QueueUrl as string;
    queueUrls[q.deadLetter.envVar] = dlq.QueueUrl as string;
  }

  // CreateTopic answers the existing topic's ARN when it exists (a kept data directory).
  const sns = new SNSClient({ ...common, endpoint: fauxqsEndpoint });
  const topicArns: Record<string, string> = {};
  for (const t of topics) {
    const created = await sns.send(new CreateTopicCommand({ Name: t.id }));
    topicArns[t.envVar] = created.TopicArn as string;
  }
  sns.destroy();

  const s3 = new S3Client({ ...common, endpoint: fauxqsEndpoint, forcePathStyle: true });
  const bucket = payloadBucket.id.toLowerCase();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    if (!/BucketAlready/.test((e as Error).name)) throw e;
  }
  dynamo.destroy();
  sqs.destroy();
  s3.destroy();

  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: fauxqsEndpoint,
    AWS_ENDPOINT_URL_SNS: fauxqsEndpoint,
    AWS_ENDPOINT_URL_S3: fauxqsEndpoint,
    S3_FORCE_PATH_STYLE: 'true',
    [payloadBucket.envVar]: bucket,
    ...tableNames,
    ...queueUrls,
    ...topicArns,
  };
  return {
    dynamoEndpoint,
    fauxqsEndpoint,
    env,
    queueUrls,
    topicArns,
    async stop() {
      await fauxqs.stop();
      await dynamoDb.stop();
    },
  };
}

async function ensureTable(dynamo: DynamoDBClient, t: TableDefinition, tableName: string): Promise<void> {
  const attributes = new Set([
    t.partitionKey,
    t.sortKey,
    ...t.globalIndexes.flatMap((g) => [g.partitionKey, g.sortKey]),
  ]);
  try {
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: t.partitionKey, KeyType: 'HASH' },
          { AttributeName: t.sortKey, KeyType: 'RANGE' },
        ],
        ...(t.globalIndexes.length
          ? {
              GlobalSecondaryIndexes: t.globalIndexes.map((g) => ({
                IndexName: g.name,
                KeySchema: [
                  { AttributeName: g.partitionKey, KeyType: 'HASH' },
                  { AttributeName: g.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              })),
            }
          : {}),
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
}

interface EmbeddedDynamoDb {
  endpoint: string;
  /** Table names by the env var of their definition. */
  tableNames: Record<string, string>;
  stop(): Promise<void>;
}

const definedNames = (prefix = '') => Object.fromEntries(tables.map((t) => [t.envVar, `${prefix}${t.id}`]));
let sharedHubs = 0;

async function startDynamoDb(dataDir?: string): Promise<EmbeddedDynamoDb> {
  if (!useDynamoDbLocal()) {
    if (dataDir) mkdirSync(join(dataDir, 'dynamodb'), { recursive: true });
    const server = dynalite({
      ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      tableNames: definedNames(),
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  const shared = process.env[SHARED_DYNAMODB_LOCAL_ENV];
  if (shared && !dataDir) {
    // One JVM serves the whole test run (a JVM per test file costs seconds each); each embedded AWS
    // gets tables of its own under a prefix, and drops them when it stops to keep the heap small.
    const prefix = `h${process.pid}n${++sharedHubs}-`;
    const tableNames = definedNames(prefix);
    return {
      endpoint: shared,
      tableNames,
      async stop() {
        const dynamo = new DynamoDBClient({
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
          endpoint: shared,
        });
        for (const name of Object.values(tableNames)) {
          await dynamo.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
        }
        dynamo.destroy();
      },
    };
  }
  const local: DynamoDbLocal = await startDynamoDbLocal(
    dataDir ? { dataDir: join(dataDir, 'dynamodb-local') } : {},
  );
  return { endpoint: local.endpoint, tableNames: definedNames(), stop: () => local.stop() };
}
