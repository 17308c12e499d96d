import type { DeliveryJob } from '../adapters/delivery-queue.js';
import type { MessageRepository } from '../adapters/messages.js';
import { canTransition } from '../core/delivery-state.js';

/**
 * Marks the delivery of a job that reached the dead-letter queue as failed, with the reason, unless
 * it has finished meanwhile (a retry by the operator, or a copy of the job that got through). Safe to
 * repeat: a delivery already marked is left alone. True when this call marked it.
 */
export async function markDeadLettered(
  messages: Pick<MessageRepository, 'getForDelivery' | 'failDeadLettered'>,
  job: DeliveryJob,
  receives: number,
): Promise<boolean> {
  const { delivery, message, stored } = await messages.getForDelivery(job.messageId, job.integrationId);
  if (!delivery || !canTransition(delivery.status, 'deadLetter')) return false;
  // Conditional: a copy of the job may have delivered it since the read.
  return messages.failDeadLettered(
    job.messageId,
    job.integrationId,
    `The delivery job was dead-lettered after ${receives} receives (a worker kept failing on it).`,
    stored || !message
      ? undefined
      : { delivery, expiresAt: message.expiresAt, receivedAt: message.receivedAt },
  );
}
