import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryRepository } from '../../functions/adapters/registry.js';
import { type EmbeddedAws, startEmbeddedAws } from '../../lib/local/emulators.js';
import { deliveryQueue, registryTable } from '../../lib/resources.js';
import { pushIntegration } from '../support/fixtures.js';

/**
 * The delivery worker's handler, called with batches SQS could send but the local emulator does not
 * (it hands out one message per FIFO group per receive): several records of one ordered group.
 */
describe('delivery worker batches', () => {
  let aws: EmbeddedAws;
  let handler: (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    Object.assign(process.env, aws.env);
    ({ handler } = await import('../../functions/workers/deliver.js'));
  });
  afterAll(() => aws?.stop());

  const fifoRecord = (integrationId: string, n: number): SQSRecord => ({
    messageId: `sqs-${integrationId}-${n}`,
    receiptHandle: `handle-${n}`,
    body: JSON.stringify({ messageId: `msg_${integrationId}_${n}`, integrationId }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: integrationId,
      MessageDeduplicationId: `d${n}`,
      SequenceNumber: String(n),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ordered.fifo',
    awsRegion: 'us-east-1',
  });

  it('moves a whole ordered group to the standard queue once its integration is parallel, and deletes it', async () => {
    const registry = new RegistryRepository(aws.env[registryTable.envVar] as string);
    await registry.createIntegration(
      pushIntegration({ id: 'int_switched', name: 'switched', parallel: true }),
    );
    const records = [1, 2, 3].map((n) => fifoRecord('int_switched', n));

    const result = await handler({ Records: records });
    expect(result.batchItemFailures).toEqual([]);

    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const moved: string[] = [];
    for (let i = 0; i < 5 && moved.length < 3; i++) {
      const r = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.env[deliveryQueue.envVar],
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      moved.push(...(r.Messages ?? []).map((m) => m.Body ?? ''));
    }
    sqs.destroy();
    expect(moved.map((b) => JSON.parse(b).messageId).sort()).toEqual(
      records.map((r) => JSON.parse(r.body).messageId).sort(),
    );
  });
});
