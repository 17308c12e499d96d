import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { sqsClient } from './aws.js';

/** What a delivery queue message carries: ids only, never the payload. */
export interface DeliveryJob {
  messageId: string;
  integrationId: string;
  /**
   * A job waiting for an in-flight permit is queued again as a fresh copy, whose queue age starts
   * over: this keeps when it was first queued (epoch ms), so its wait still shows as an age.
   */
  waitingSince?: number;
}

export interface QueueUrls {
  /** The standard queue: deliveries of `parallel` integrations. */
  standard?: string | undefined;
  /** The FIFO queue, grouped by integration: deliveries of `parallel: false` integrations, in order. */
  ordered?: string | undefined;
}

export const MAX_POSTPONE_SECONDS = 43_200 - 300;

export class DeliveryQueue {
  constructor(private readonly urls: QueueUrls) {}

  private url(ordered: boolean): string {
    const url = ordered ? this.urls.ordered : this.urls.standard;
    if (!url)
      throw new Error(
        `Configuration is incomplete: the ${ordered ? 'ordered ' : ''}delivery queue URL is not set.`,
      );
    return url;
  }

  /**
   * Enqueues jobs; ordered ones go to the FIFO queue with the integration as message group. The
   * deduplication id includes the round, so an operator's retry is not swallowed as a duplicate.
   */
  async enqueue(
    jobs: (DeliveryJob & {
      ordered: boolean;
      round?: number;
      delaySeconds?: number;
      /**
       * Set when a held delivery is released (epoch ms): its job is new, though the round is not, so
       * the FIFO queue must not take it for the job that was queued when the message arrived.
       */
      releasedAt?: number;
    })[],
  ): Promise<void> {
    for (const ordered of [false, true]) {
      const selected = jobs.filter((j) => j.ordered === ordered);
      for (let i = 0; i < selected.length; i += 10) {
        const chunk = selected.slice(i, i + 10);
        const r = await sqsClient().send(
          new SendMessageBatchCommand({
            QueueUrl: this.url(ordered),
            Entries: chunk.map((job, n) => ({
              Id: String(n),
              MessageBody: JSON.stringify({
                messageId: job.messageId,
                integrationId: job.integrationId,
                ...(job.waitingSince === undefined ? {} : { waitingSince: job.waitingSince }),
              }),
              // FIFO queues take no per-message delay; ordered jobs never wait for a slot anyway.
              ...(job.delaySeconds && !ordered ? { DelaySeconds: Math.min(900, job.delaySeconds) } : {}),
              ...(ordered
                ? {
                    MessageGroupId: job.integrationId,
                    MessageDeduplicationId: `${job.messageId}.${job.integrationId}.${job.round ?? 0}${
                      job.releasedAt === undefined ? '' : `.r${job.releasedAt}`
                    }`,
                  }
                : {}),
            })),
          }),
        );
        if (r.Failed?.length) throw new Error(`SQS refused ${r.Failed.length} delivery jobs`);
      }
    }
  }

  /**
   * Asks the delivery workers to release an integration's held deliveries (a slice at a time; each
   * slice asks for the next), on the standard queue.
   */
  async enqueueRelease(integrationId: string): Promise<void> {
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: this.url(false),
        MessageBody: JSON.stringify({ release: integrationId }),
      }),
    );
  }

  /**
   * Hides a received message until its next attempt is due. SQS counts its 12-hour limit from the
   * receive, so the request stays five minutes under it; a job that wakes early waits again.
   */
  async postpone(receiptHandle: string, seconds: number, ordered: boolean): Promise<void> {
    await sqsClient().send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.url(ordered),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(MAX_POSTPONE_SECONDS, Math.max(0, Math.round(seconds))),
      }),
    );
  }
}
