import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../observability.js';

/**
 * Partial batch failures, the one way every queue worker reports them (Powertools' BatchProcessor
 * is not among the dependencies): the queue deletes the records not named, and brings the named ones
 * back (then, after maxReceiveCount, moves them to the dead-letter queue).
 */
export const batchResponse = (handBack: Iterable<string>): SQSBatchResponse => ({
  batchItemFailures: [...handBack].map((itemIdentifier) => ({ itemIdentifier })),
});

/**
 * Runs `handle` for every record of a batch, concurrently or, with `sequential`, one at a time (one
 * record in memory at once). A record is handed back when `handle` returns false (it said why) or
 * throws (logged here, as `what`).
 */
export async function processRecords(
  event: SQSEvent,
  what: string,
  handle: (record: SQSRecord) => Promise<boolean | undefined>,
  options: { sequential?: boolean } = {},
): Promise<SQSBatchResponse> {
  const handBack: string[] = [];
  const run = async (record: SQSRecord) => {
    try {
      if ((await handle(record)) === false) handBack.push(record.messageId);
    } catch (e) {
      logger.error(`${what}: could not handle a record`, { messageId: record.messageId, error: e as Error });
      handBack.push(record.messageId);
    }
  };
  if (options.sequential) for (const record of event.Records) await run(record);
  else await Promise.all(event.Records.map(run));
  return batchResponse(handBack);
}
