import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { lambdaContext } from './api-gateway.js';

export type SqsHandler = (
  event: SQSEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  functionName: string;
  /** The function's timeout, reported through the Lambda context. */
  timeoutSeconds?: number;
  batchSize: number;
  /** Concurrent pollers, like the concurrency of an event source mapping. */
  concurrency: number;
  onError?: (e: unknown) => void;
  /** Called after each invocation with its duration (benchmarks price Lambda time with it). */
  onInvoke?: (functionName: string, ms: number, records: number) => void;
}

/**
 * Behaves like a Lambda SQS event source mapping with ReportBatchItemFailures: receives a batch,
 * invokes the handler, deletes the records it did not report as failed. If the handler throws, no
 * record is deleted: each comes back when its visibility timeout ends, and SQS's redrive policy moves
 * it to the dead-letter queue after maxReceiveCount receives, exactly as on AWS.
 */
export function startQueuePoller(o: PollerOptions): { stop(): Promise<void> } {
  let running = true;
  const loops = Array.from({ length: o.concurrency }, async () => {
    while (running) {
      try {
        const r = await o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: o.queueUrl,
            MaxNumberOfMessages: o.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const messages = r.Messages ?? [];
        if (!running || messages.length === 0) continue;
        const event: SQSEvent = {
          Records: messages.map((m) => ({
            messageId: m.MessageId ?? '',
            receiptHandle: m.ReceiptHandle ?? '',
            body: m.Body ?? '',
            attributes: {
              ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
              SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
              SenderId: 'local',
              ApproximateFirstReceiveTimestamp:
                m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
              ...(m.Attributes?.MessageGroupId
                ? {
                    MessageGroupId: m.Attributes.MessageGroupId,
                    MessageDeduplicationId: m.Attributes.MessageDeduplicationId ?? '',
                    SequenceNumber: m.Attributes.SequenceNumber ?? '',
                  }
                : {}),
            },
            messageAttributes: {},
            md5OfBody: m.MD5OfBody ?? '',
            eventSource: 'aws:sqs',
            eventSourceARN: o.queueArn,
            awsRegion: 'us-east-1',
          })),
        };
        let failed: Set<string>;
        try {
          const invoked = performance.now();
          const res = await o.handler(event, lambdaContext(o.functionName, o.timeoutSeconds));
          o.onInvoke?.(o.functionName, performance.now() - invoked, messages.length);
          failed = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        } catch (e) {
          o.onError?.(e);
          continue;
        }
        const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
        if (done.length) {
          await o.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: o.queueUrl,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
            }),
          );
        }
      } catch (e) {
        if (running) {
          o.onError?.(e);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.allSettled(loops);
    },
  };
}
