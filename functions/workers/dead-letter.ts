import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { messages } from '../deps.js';
import { parseJob } from './jobs.js';

const logger = new Logger({ serviceName: 'crossdock' });

/**
 * Whatever reaches the dead-letter queue is marked failed with a reason, so nothing disappears
 * silently; the operator can start it again with POST /admin/messages/{id}/retry or a DLQ redrive.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const job = parseJob(record.body);
    if (!job) {
      logger.error('dead letter is not a delivery job', { messageId: record.messageId });
      continue;
    }
    try {
      const { delivery } = await messages().getForDelivery(job.messageId, job.integrationId);
      if (delivery && delivery.status !== 'delivered' && delivery.status !== 'failed') {
        const receives = record.attributes.ApproximateReceiveCount;
        await messages().updateDelivery(job.messageId, job.integrationId, {
          status: 'failed',
          deadLettered: true,
          nextAttemptAt: undefined,
          lastError: `The delivery job was dead-lettered after ${receives} receives (a worker kept failing on it).`,
        });
      }
      logger.warn('dead-lettered delivery marked failed', { ...job });
    } catch (e) {
      logger.error('could not mark a dead letter', { ...job, error: e as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
