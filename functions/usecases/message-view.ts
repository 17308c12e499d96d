import type { MessageRecord } from '../adapters/messages.js';
import { parseDocument } from '../core/document.js';
import { acceptedView, type Delivery, messageStatus } from '../core/message.js';

/** The message as GET /v1/messages/{id} and the admin API show it: status derived from its deliveries. */
export async function messageView({ message: m, deliveries }: MessageRecord) {
  return {
    ...acceptedView(m),
    status: messageStatus(deliveries),
    contentType: m.contentType,
    ...(m.note ? { note: m.note } : {}),
    ...(m.source ? { source: m.source } : {}),
    deliveries: await Promise.all(
      deliveries.map(async (d) => ({
        integrationId: d.integrationId,
        mode: d.mode,
        status: d.status,
        attempts: d.attempts ?? [],
        ...(d.nextAttemptAt ? { nextAttemptAt: d.nextAttemptAt } : {}),
        ...(d.lastError ? { error: d.lastError } : {}),
        ...(d.response ? { response: await withParsedBody(d.response) } : {}),
      })),
    ),
  };
}

/** A JSON or XML answer is shown parsed as well; anything unreadable is shown as text only. */
async function withParsedBody(response: NonNullable<Delivery['response']>) {
  if (response.truncated || !response.body || !/json|xml/i.test(response.contentType ?? '')) return response;
  try {
    return { ...response, parsed: await parseDocument(Buffer.from(response.body), response.contentType) };
  } catch {
    return response;
  }
}
