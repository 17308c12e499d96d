import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DEAD_LETTER_MARKED_LOG } from '../../lib/resources.js';
import { systemClock } from '../core/clock.js';
import { deliveryDeadLetters, eventSink, messages, registry, rowAdapters } from '../deps.js';
import { logger, withMetrics } from '../observability.js';
import { type DeadLetterPorts, markDeadLettered } from '../usecases/dead-letters.js';
import { recordDeliveryEnd } from '../usecases/entities.js';
import { processRecords } from './batch.js';
import { parseJob } from './jobs.js';

/** A sweep hides each dead letter while it looks at it, at most this long (its timeout is 60 s). */
const SWEEP_HIDE_SECONDS = 90;
/** Time a sweep keeps to show the letters again; what it has not marked by then waits for the next. */
const SWEEP_RESERVE_MS = 10_000;

/**
 * Sweeps the delivery dead-letter queue on a schedule: each job found there has its delivery marked
 * failed with the reason, so nothing disappears silently, and the job stays in the queue. The operator
 * then either redrives the queue with SQS (the job comes back and its delivery starts again) or uses
 * POST /admin/messages/{id}/retry; what is left expires with the queue's retention.
 */
export const sweep = withMetrics(sweepDeadLetters);

async function sweepDeadLetters(
  _event?: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<{ seen: number; marked: number }> {
  const queue = deliveryDeadLetters();
  const letters = await queue.peek(SWEEP_HIDE_SECONDS);
  let marked = 0;
  for (const letter of letters) {
    if (context && context.getRemainingTimeInMillis() < SWEEP_RESERVE_MS) break;
    // A letter that could not be marked is tried again by the next sweep.
    if ((await markLetter(letter.messageId, letter.body, letter.receives)) === 'marked') marked++;
  }
  await queue.reveal(letters);
  return { seen: letters.length, marked };
}

/**
 * Consumes the ordered (FIFO) delivery dead-letter queue, marking each job's delivery failed. A FIFO
 * queue shows only the head of each message group to a reader, so it cannot be swept like the standard
 * one; ordered deliveries are started again with POST /admin/messages/{id}/retry.
 */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> =>
  processRecords(event, 'ordered dead letter', async (record) => {
    const receives = Number(record.attributes.ApproximateReceiveCount);
    return (await markLetter(record.messageId, record.body, receives)) !== 'error';
  });

let ports: DeadLetterPorts | undefined;
const deadLetterPorts = (): DeadLetterPorts => {
  ports ??= {
    messages: messages(),
    events: eventSink(),
    clock: systemClock,
    // A row's message: the failure (and the integration's write-back) goes on the row.
    deadLettered: async ({ message, integrationId, error }) => {
      if (!message.source) return;
      const integration = await registry().getIntegration(integrationId);
      if (!integration) return;
      await recordDeliveryEnd(
        { ...rowAdapters(), clock: systemClock },
        {
          messageId: message.id,
          sender: message.sender,
          source: message.source,
          integration,
          outcome: 'failed',
          error,
        },
      );
    },
  };
  return ports;
};

/** Marks the delivery of one dead letter failed; what became of it, with the log line for each case. */
async function markLetter(
  messageId: string,
  body: string,
  receives: number,
): Promise<'marked' | 'finished' | 'not a job' | 'error'> {
  const job = parseJob(body);
  if (!job) {
    logger.error('dead letter is not a delivery job', { messageId });
    return 'not a job';
  }
  try {
    if (!(await markDeadLettered(deadLetterPorts(), job, receives, messageId))) return 'finished';
    logger.warn(DEAD_LETTER_MARKED_LOG, { ...job });
    return 'marked';
  } catch (e) {
    logger.error('could not mark a dead letter', { ...job, error: e as Error });
    return 'error';
  }
}
