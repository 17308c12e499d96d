import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from './aws.js';

export interface DeadLetter {
  messageId: string;
  body: string;
  /** Receives so far, those at the source queue included. */
  receives: number;
  receiptHandle: string;
}

/**
 * Reads a dead-letter queue without taking anything out of it: a sweep hides what it has read (so it
 * reads each message once) and shows it again when done, so SQS's redrive (the console's "Start DLQ
 * redrive", StartMessageMoveTask) still finds every message, and the queue's depth keeps telling the
 * operator that something waits for a decision.
 */
export class DeadLetterQueue {
  constructor(private readonly url: string) {}

  /**
   * Every message visible now (up to `limit`), each once, hidden for `hideSeconds` (longer than the
   * sweep can take, so a sweep that dies leaves them hidden only that long).
   */
  async peek(hideSeconds: number, limit = 1000): Promise<DeadLetter[]> {
    const seen = new Map<string, DeadLetter>();
    while (seen.size < limit) {
      const r = await sqsClient().send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: hideSeconds,
          // A short poll samples only some of SQS's servers and can come back empty from a queue that is not.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const fresh = (r.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      // Empty, or only messages whose hiding already ran out: the sweep has seen the queue.
      if (fresh.length === 0) break;
      for (const m of fresh) {
        seen.set(m.MessageId as string, {
          messageId: m.MessageId as string,
          body: m.Body ?? '',
          receives: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
          receiptHandle: m.ReceiptHandle ?? '',
        });
      }
    }
    return [...seen.values()];
  }

  /** Makes the messages a sweep read visible again at once, for SQS's redrive. */
  async reveal(letters: readonly DeadLetter[]): Promise<void> {
    for (let i = 0; i < letters.length; i += 10) {
      await sqsClient().send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.url,
          Entries: letters.slice(i, i + 10).map((l, j) => ({
            Id: String(j),
            ReceiptHandle: l.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }
}
