import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { objectsOf } from '../adapters/s3-events.js';
import { systemClock } from '../core/clock.js';
import { deliveryQueue, messages, payloads, registry, uploads } from '../deps.js';
import { acceptLandedUpload, UPLOAD_KEY_PREFIX } from '../usecases/uploads.js';

const logger = new Logger({ serviceName: 'crossdock' });

/** Consumes S3 ObjectCreated notifications for uploads/ and accepts the announced messages. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const ports = {
    registry: registry(),
    uploads: uploads(),
    messages: messages(),
    payloads: payloads(),
    queue: deliveryQueue(),
    clock: systemClock,
  };
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        for (const object of objectsOf(record.body)) {
          const outcome = await acceptLandedUpload(ports, object.key, object.size);
          logger.info('upload landed', { key: object.key, outcome });
        }
      } catch (e) {
        logger.error('could not accept an upload', { messageId: record.messageId, error: e as Error });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}

/** Notifications that kept failing: the upload is marked failed, so its sender can see why. */
export async function deadLetterHandler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      for (const object of objectsOf(record.body)) {
        if (!object.key.startsWith(UPLOAD_KEY_PREFIX)) continue;
        await uploads().finish(
          object.key.slice(UPLOAD_KEY_PREFIX.length),
          'failed',
          'The upload could not be accepted; the hub gave up after repeated errors.',
        );
      }
    } catch (e) {
      logger.error('could not mark a dead-lettered upload', {
        messageId: record.messageId,
        error: e as Error,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
