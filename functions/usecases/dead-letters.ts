import type { DeliveryJob } from '../adapters/delivery-queue.js';
import type { MessageRepository, StoredMessage } from '../adapters/messages.js';
import type { Clock } from '../core/clock.js';
import { canTransition } from '../core/delivery-state.js';
import type { EventSink } from '../core/events.js';
import { capReason } from '../core/reason.js';
import { logger } from '../observability.js';
import { tell } from './events.js';

export interface DeadLetterPorts {
  messages: Pick<MessageRepository, 'getForDelivery' | 'failDeadLettered'>;
  /** Where a newly marked dead letter is told (`deadletter.marked`); see usecases/events.ts `tell`. */
  events: EventSink;
  clock: Clock;
  /**
   * Told when a dead letter's delivery is marked failed, as the delivery worker tells a delivery that
   * ends: a row's message gets its outcome (and write-back) on the row. A failure here is logged and
   * never un-marks the delivery.
   */
  deadLettered?: (end: { message: StoredMessage; integrationId: string; error: string }) => Promise<void>;
}

/**
 * Marks the delivery of a job that reached the dead-letter queue as failed, with the reason, unless
 * it has finished meanwhile (a retry by the operator, or a copy of the job that got through). Safe to
 * repeat: a delivery already marked is left alone. True when this call marked it; only then is the
 * operator told, as `deadletter.marked` (not also `delivery.exhausted`: one failure, one notice), and a
 * notice that cannot be kept or published never un-marks it (`tell` logs it).
 */
export async function markDeadLettered(
  ports: DeadLetterPorts,
  job: DeliveryJob,
  receives: number,
  /** The letter's SQS message id: a letter marked once is never marked again. */
  letterId?: string,
): Promise<boolean> {
  const { delivery, message, stored } = await ports.messages.getForDelivery(job.messageId, job.integrationId);
  if (!delivery || !canTransition(delivery.status, 'deadLetter')) return false;
  // Marked before, and the delivery restarted since (a retry or replay): the letter is its past.
  if (letterId && delivery.deadLetters?.includes(letterId)) return false;
  const reason = `The delivery job was dead-lettered after ${receives} receives (a worker kept failing on it).`;
  // Conditional: a copy of the job may have delivered it since the read.
  const marked = await ports.messages.failDeadLettered(
    job.messageId,
    job.integrationId,
    reason,
    stored || !message
      ? undefined
      : { delivery, expiresAt: message.expiresAt, receivedAt: message.receivedAt },
    letterId,
  );
  if (marked) {
    await tell(ports.events, {
      type: 'deadletter.marked',
      at: ports.clock.now(),
      integrationId: job.integrationId,
      messageId: job.messageId,
      ...(message ? { partner: message.receiver } : {}),
      detail: reason,
    });
    if (message && ports.deadLettered) {
      await ports
        .deadLettered({ message, integrationId: job.integrationId, error: reason })
        .catch((e: unknown) =>
          logger.warn('a dead-lettered delivery was marked failed but its follow-up failed', {
            ...job,
            reason: capReason(String((e as Error)?.message ?? e)),
          }),
        );
    }
  }
  return marked;
}
