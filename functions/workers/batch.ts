import type { SQSBatchResponse } from 'aws-lambda';

/**
 * Partial batch failures, the one way every queue worker reports them (Powertools' BatchProcessor
 * is not among the dependencies): the queue deletes the records not named, and brings the named ones
 * back (then, after maxReceiveCount, moves them to the dead-letter queue).
 */
export const batchResponse = (handBack: Iterable<string>): SQSBatchResponse => ({
  batchItemFailures: [...handBack].map((itemIdentifier) => ({ itemIdentifier })),
});
