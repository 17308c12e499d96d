import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { objectsOf } from '../adapters/s3-events.js';
import { systemClock } from '../core/clock.js';
import { packetNotices, packets, payloads } from '../deps.js';
import { acceptLandedPacket, failDeadLetteredPacket } from '../usecases/packets-landed.js';

const logger = new Logger({ serviceName: 'crossdock' });

/**
 * Consumes S3 ObjectCreated notifications for packets/: each packet is checked, converted and made
 * ready (or failed with its reason). Records go one after another, so the worker's memory holds one
 * parsed packet at a time; a bad packet is an outcome, not an error, and never stops the batch.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const ports = { packets: packets(), payloads: payloads(), notices: packetNotices(), clock: systemClock };
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      for (const object of objectsOf(record.body)) {
        const outcome = await acceptLandedPacket(ports, object.key, object.size);
        logger.info('packet landed', { key: object.key, outcome });
      }
    } catch (e) {
      logger.error('could not process a packet', { messageId: record.messageId, error: e as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** Notifications that kept failing: the packet is marked failed, so the status route shows why. */
export async function deadLetterHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      for (const object of objectsOf(record.body)) {
        await failDeadLetteredPacket({ packets: packets() }, object.key);
      }
    } catch (e) {
      logger.error('could not mark a dead-lettered packet', {
        messageId: record.messageId,
        error: e as Error,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
