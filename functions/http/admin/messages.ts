import { notFound } from '../../core/errors.js';
import { deliveryQueue, messages, registry } from '../../deps.js';
import { messageView } from '../../usecases/message-view.js';
import { adminHandler } from '../auth.js';

export const getMessageAsAdmin = adminHandler(async (req) => {
  const id = req.pathParameters.id ?? '';
  const record = await messages().getRecord(id);
  if (!record) throw notFound(`Message ${id}`);
  return { status: 200, json: messageView(record) };
});

/** Failed deliveries start again from attempt 1; their earlier attempts stay in the record. */
export const retryMessage = adminHandler(async (req) => {
  const id = req.pathParameters.id ?? '';
  const record = await messages().getRecord(id);
  if (!record) throw notFound(`Message ${id}`);
  const failed = record.deliveries.filter((d) => d.status === 'failed' && d.mode !== 'pull');
  const jobs = [];
  for (const d of failed) {
    const integration = await registry().getIntegration(d.integrationId);
    // A deleted integration has nowhere to deliver to; its failure stands.
    if (!integration || !(await messages().restartDelivery(id, d.integrationId))) continue;
    jobs.push({
      messageId: id,
      integrationId: d.integrationId,
      ordered: integration.parallel === false,
      round: (d.round ?? 0) + 1,
    });
  }
  try {
    await deliveryQueue().enqueue(jobs);
  } catch (e) {
    // Nothing will deliver them: put them back to failed, so the next retry picks them up again.
    for (const j of jobs) {
      await messages().updateDelivery(id, j.integrationId, {
        status: 'failed',
        lastError: 'The retry could not be queued; try again.',
      });
    }
    throw e;
  }
  return { status: 202, json: { retried: jobs.map((j) => j.integrationId) } };
});
