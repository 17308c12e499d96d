import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type CreatedObject, objectsOf } from '../adapters/s3-events.js';
import { logger } from '../observability.js';
import { processRecords } from './batch.js';

/**
 * A consumer of S3 ObjectCreated notifications (or their dead letters): `handle` runs for every object
 * a record announces, and its outcome is logged (`overwritten`, a write after the check, as a warning);
 * a record whose handling throws is reported as a batch item failure, so SQS brings it back and, after
 * maxReceiveCount, moves it to the dead-letter queue. `sequential` keeps one record in memory at a time
 * (large packets).
 */
export function s3ObjectWorker(
  what: string,
  handle: (object: CreatedObject) => Promise<unknown>,
  options: { sequential?: boolean } = {},
) {
  return (event: SQSEvent): Promise<SQSBatchResponse> =>
    processRecords(
      event,
      what,
      async (record) => {
        for (const object of objectsOf(record.body)) {
          const outcome = await handle(object);
          if (outcome === 'overwritten') {
            // A presigned PUT used again after its object was checked: harmless, but someone did it.
            logger.warn(`${what}: written again after it was checked; nothing served changed`, {
              key: object.key,
              size: object.size,
              ...object.write,
            });
          } else {
            logger.info(what, { key: object.key, ...(typeof outcome === 'string' ? { outcome } : {}) });
          }
        }
      },
      options,
    );
}
