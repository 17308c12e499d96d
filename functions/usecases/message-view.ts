import type { MessageRecord } from '../adapters/messages.js';
import { messageStatus } from '../core/message.js';

/** The message as GET /v1/messages/{id} and the admin API show it: status derived from its deliveries. */
export function messageView({ message: m, deliveries }: MessageRecord) {
  return {
    id: m.id,
    status: messageStatus(deliveries),
    sender: m.sender,
    receiver: m.receiver,
    doctype: m.doctype,
    version: m.version,
    size: m.size,
    sha256: m.sha256,
    contentType: m.contentType,
    receivedAt: m.receivedAt,
    deliveries: deliveries.map((d) => ({
      integrationId: d.integrationId,
      mode: d.mode,
      status: d.status,
      attempts: d.attempts ?? [],
      ...(d.nextAttemptAt ? { nextAttemptAt: d.nextAttemptAt } : {}),
      ...(d.lastError ? { error: d.lastError } : {}),
      ...(d.response ? { response: d.response } : {}),
    })),
  };
}
