import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { flushMetrics, logger } from '../observability.js';

/**
 * Partial batch failures for a batch handled as a whole (the delivery worker groups its jobs): the
 * queue deletes the records not named, and brings the named ones back (then, after
 * maxReceiveCount, moves them to the dead-letter queue).
 */
export const batchResponse = (handBack: Iterable<string>): SQSBatchResponse => ({
  batchItemFailures: [...handBack].map((itemIdentifier) => ({ itemIdentifier })),
});

/** A record the handler chose to hand back (it has said why); not an error to log again. */
class HandBack extends Error {}

/**
 * Runs `handle` for every record of a batch with Powertools' BatchProcessor, concurrently or, with
 * `sequential`, one at a time (one record in memory at once). A record is handed back when `handle`
 * returns false (it said why) or throws (logged here, as `what`). The metrics the batch recorded are
 * published once, after its last record.
 */
export async function processRecords(
  event: SQSEvent,
  what: string,
  handle: (record: SQSRecord) => Promise<boolean | undefined>,
  options: { sequential?: boolean } = {},
): Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS, { logger: quietLogger });
  try {
    return await processPartialResponse(
      event,
      async (record: SQSRecord) => {
        try {
          if ((await handle(record)) === false) throw new HandBack();
        } catch (e) {
          if (!(e instanceof HandBack)) {
            logger.error(`${what}: could not handle a record`, {
              messageId: record.messageId,
              error: e as Error,
            });
          }
          throw e;
        }
      },
      processor,
      { processInParallel: !options.sequential, throwOnFullBatchFailure: false },
    );
  } finally {
    flushMetrics();
  }
}

/** The processor's own lines would repeat what processRecords logs. */
const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
