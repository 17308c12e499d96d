import {
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DYNAMODB_LOCAL_ENV, useDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import {
  type EmbeddedAws,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startEmbeddedAws,
} from '../../lib/local/emulators.js';
import { registryTable } from '../../lib/resources.js';

/**
 * Which DynamoDB the embedded AWS runs, told apart by what only DynamoDB Local has (transactions and
 * TTL settings; README "Two DynamoDB emulators"). On `npm run test:dynamodb-local` this fails if the
 * switch fell back to dynalite; on `npm test` it fails if dynalite grew them and the README is stale.
 */
describe(`the embedded DynamoDB (${useDynamoDbLocal() ? 'DynamoDB Local' : 'dynalite'})`, () => {
  let aws: EmbeddedAws;
  let dynamo: DynamoDBClient;
  let table: string;

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    dynamo = new DynamoDBClient({
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      endpoint: aws.dynamoEndpoint,
    });
    table = aws.env[registryTable.envVar] as string;
  });
  afterAll(async () => {
    dynamo?.destroy();
    await aws?.stop();
  });

  it('runs TransactWriteItems only on DynamoDB Local', async () => {
    const write = dynamo.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: { S: 'TX#a' }, sk: { S: 'A' } } } },
          { Put: { TableName: table, Item: { pk: { S: 'TX#b' }, sk: { S: 'B' } } } },
        ],
      }),
    );
    if (!useDynamoDbLocal()) {
      await expect(write).rejects.toMatchObject({ name: 'UnknownOperationException' });
      return;
    }
    await write;
    const read = await dynamo.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'TX#b' }, sk: { S: 'B' } } }),
    );
    expect(read.Item?.sk?.S).toBe('B');
  });

  it('takes a TTL setting only on DynamoDB Local', async () => {
    const update = dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    if (!useDynamoDbLocal()) {
      await expect(update).rejects.toMatchObject({ name: 'UnknownOperationException' });
      return;
    }
    await update;
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('expiresAt');
  });

  it.runIf(useDynamoDbLocal() && process.env[SHARED_DYNAMODB_LOCAL_ENV])(
    'gives each hub sharing the run’s DynamoDB Local tables of its own',
    async () => {
      const other = await startEmbeddedAws();
      try {
        expect(other.dynamoEndpoint).toBe(aws.dynamoEndpoint);
        expect(other.env[registryTable.envVar]).not.toBe(table);
        const read = await dynamo.send(
          new GetItemCommand({
            TableName: other.env[registryTable.envVar] as string,
            Key: { pk: { S: 'TX#b' }, sk: { S: 'B' } },
          }),
        );
        expect(read.Item).toBeUndefined();
      } finally {
        await other.stop();
      }
    },
  );
});
