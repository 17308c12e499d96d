import { notFound } from '../../core/errors.js';
import { deliveryQueue, messages } from '../../deps.js';
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
  for (const d of failed) {
    await messages().restartDelivery(id, d.integrationId);
  }
  await deliveryQueue().enqueue(failed.map((d) => ({ messageId: id, integrationId: d.integrationId })));
  return { status: 202, json: { retried: failed.map((d) => d.integrationId) } };
});
