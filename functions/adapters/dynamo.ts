import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from './aws.js';

/** Runs a conditional write; false when its condition failed. */
export async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (e) {
    if (
      e instanceof ConditionalCheckFailedException ||
      (e as Error).name === 'ConditionalCheckFailedException'
    ) {
      return false;
    }
    throw e;
  }
}

/** Every item a query matches, following DynamoDB's pages. */
export async function queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const r = await dynamoClient().send(new QueryCommand({ ...input, ExclusiveStartKey }));
    items.push(...((r.Items ?? []) as Record<string, unknown>[]));
    ExclusiveStartKey = r.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Every item of one partition: a message's or a communication's whole story in one read. */
export const queryPartition = (table: string, pk: string) =>
  queryAll({
    TableName: table,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk },
  });
