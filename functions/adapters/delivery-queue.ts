import { ChangeMessageVisibilityCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from './aws.js';

/** What a delivery queue message carries: ids only, never the payload. */
export interface DeliveryJob {
  messageId: string;
  integrationId: string;
}

export class DeliveryQueue {
  constructor(private readonly url: string) {}

  async enqueue(jobs: DeliveryJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 10) {
      const chunk = jobs.slice(i, i + 10);
      const r = await sqsClient().send(
        new SendMessageBatchCommand({
          QueueUrl: this.url,
          Entries: chunk.map((job, n) => ({ Id: String(n), MessageBody: JSON.stringify(job) })),
        }),
      );
      if (r.Failed?.length) throw new Error(`SQS refused ${r.Failed.length} delivery jobs`);
    }
  }

  /** Hides a received message until its next attempt is due (SQS allows at most 12 hours). */
  async postpone(receiptHandle: string, seconds: number): Promise<void> {
    await sqsClient().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(43_200, Math.max(0, Math.round(seconds))),
      }),
    );
  }
}
