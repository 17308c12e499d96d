import type { DeliveryQueue } from '../adapters/delivery-queue.js';
import type { MessageRepository } from '../adapters/messages.js';
import type { RegistryRepository } from '../adapters/registry.js';
import { notFound } from '../core/errors.js';
import { messageView } from './message-view.js';

/** The operator's view of a message, and starting its failed deliveries again. */

export interface AdminMessagePorts {
  messages: Pick<MessageRepository, 'getRecord' | 'restartDelivery' | 'updateDelivery'>;
  registry: Pick<RegistryRepository, 'getIntegration'>;
  queue: Pick<DeliveryQueue, 'enqueue'>;
}

/** A message with every delivery and attempt, whoever sent it. */
export async function messageForOperator(ports: Pick<AdminMessagePorts, 'messages'>, id: string) {
  const record = await ports.messages.getRecord(id);
  if (!record) throw notFound(`Message ${id}`);
  return messageView(record);
}

/**
 * Failed deliveries start again from attempt 1, in a new round; their earlier attempts stay in the
 * record. Pull deliveries wait in the inbox and are not started. If the jobs cannot be queued, the
 * deliveries go back to failed, so the next retry picks them up again. Answers the integrations
 * whose deliveries started again.
 */
export async function retryFailedDeliveries(ports: AdminMessagePorts, id: string): Promise<string[]> {
  const record = await ports.messages.getRecord(id);
  if (!record) throw notFound(`Message ${id}`);
  const failed = record.deliveries.filter((d) => d.status === 'failed' && d.mode !== 'pull');
  const jobs = [];
  for (const d of failed) {
    const integration = await ports.registry.getIntegration(d.integrationId);
    // A deleted integration has nowhere to deliver to; its failure stands.
    if (!integration || !(await ports.messages.restartDelivery(id, d.integrationId))) continue;
    jobs.push({
      messageId: id,
      integrationId: d.integrationId,
      ordered: integration.parallel === false,
      round: (d.round ?? 0) + 1,
    });
  }
  try {
    await ports.queue.enqueue(jobs);
  } catch (e) {
    // Nothing will deliver them: put them back to failed, so the next retry picks them up again.
    for (const j of jobs) {
      await ports.messages.updateDelivery(id, j.integrationId, {
        status: 'failed',
        lastError: 'The retry could not be queued; try again.',
      });
    }
    throw e;
  }
  return jobs.map((j) => j.integrationId);
}
