import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { postOutbound } from '../adapters/outbound-http.js';
import { systemClock } from '../core/clock.js';
import { deliveryQueue, messages, payloads, registry, settings } from '../deps.js';
import { deliverOnce } from '../usecases/deliver.js';
import { parseJob } from './jobs.js';

const logger = new Logger({ serviceName: 'crossdock' });

/**
 * Consumes the delivery queue. A job that must wait (a retry not yet due) is hidden until its time
 * with ChangeMessageVisibility and reported as a batch item failure, so SQS keeps it; the queue's
 * redrive policy catches what crashes repeatedly.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { ALLOW_LOOPBACK_OUTBOUND, PUBLIC_BASE_URL } = settings();
  const ports = {
    registry: registry(),
    messages: messages(),
    payloads: payloads(),
    send: (req: Parameters<typeof postOutbound>[0]) => postOutbound(req, ALLOW_LOOPBACK_OUTBOUND),
    clock: systemClock,
    random: Math.random,
    publicBaseUrl: PUBLIC_BASE_URL ?? '',
  };
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const job = parseJob(record.body);
        if (!job) {
          logger.error('dropping a malformed delivery job', { messageId: record.messageId });
          return;
        }
        const result = await deliverOnce(ports, job);
        if (result.kind === 'done') return;
        if (result.kind === 'later')
          await deliveryQueue().postpone(record.receiptHandle, result.delaySeconds);
        failures.push({ itemIdentifier: record.messageId });
      } catch (e) {
        logger.error('delivery job failed', { messageId: record.messageId, error: e as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}
