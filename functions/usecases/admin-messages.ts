import type { DeliveryQueue } from '../adapters/delivery-queue.js';
import type { LogQuery, MessageLog } from '../adapters/message-log.js';
import type { MessageRecord, MessageRepository } from '../adapters/messages.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { badRequest, notFound } from '../core/errors.js';
import { messageStatus } from '../core/message.js';
import { messageView } from './message-view.js';

/** The operator's view of a message, and starting its failed deliveries again. */

export interface AdminMessagePorts {
  messages: Pick<MessageRepository, 'getRecord' | 'restartDelivery' | 'updateDelivery' | 'getForDelivery'>;
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
  const { restarted } = await restartDeliveries(
    ports,
    failed.map((d) => ({ messageId: id, integrationId: d.integrationId, round: d.round })),
  );
  return restarted.map((j) => j.integrationId);
}

/** A failed delivery to start again, and the round it failed in. */
export interface RestartRef {
  messageId: string;
  integrationId: string;
  round?: number | undefined;
}

/**
 * Starts failed deliveries again (the one `failed → queued` transition, conditional, so a delivery
 * that was restarted or delivered meanwhile is left as it is) and queues their jobs. A delivery of a
 * deleted integration has nowhere to go: its failure stands. Answers what was restarted and how many
 * were not. If the jobs cannot be queued, the restarted deliveries go back to failed and this throws.
 */
export async function restartDeliveries(
  ports: AdminMessagePorts,
  refs: readonly RestartRef[],
): Promise<{ restarted: RestartRef[]; notRestarted: number }> {
  const integrations = new Map<string, Promise<Awaited<ReturnType<typeof ports.registry.getIntegration>>>>();
  const integrationOf = (id: string) => {
    let found = integrations.get(id);
    if (!found) {
      found = ports.registry.getIntegration(id);
      integrations.set(id, found);
    }
    return found;
  };
  const jobs = [];
  /** Restarted before, perhaps never queued: a run that died between the two. */
  const orphans = [];
  for (const d of refs) {
    const integration = await integrationOf(d.integrationId);
    if (!integration) continue;
    const job = {
      messageId: d.messageId,
      integrationId: d.integrationId,
      ordered: integration.parallel === false,
      round: (d.round ?? 0) + 1,
    };
    if (await ports.messages.restartDelivery(d.messageId, d.integrationId)) {
      jobs.push(job);
      continue;
    }
    // Already in the round this restart would start, with no attempt yet: another run restarted it
    // and may have died before queuing it. A second job is harmless (claims are conditional), a
    // missing one would leave it queued for ever; it is not counted as this run's restart.
    const { delivery } = await ports.messages.getForDelivery(d.messageId, d.integrationId);
    if (delivery?.status === 'queued' && (delivery.round ?? 0) === job.round && delivery.attemptCount === 0) {
      orphans.push(job);
    }
  }
  try {
    await ports.queue.enqueue([...jobs, ...orphans]);
  } catch (e) {
    // Nothing will deliver them: put them back to failed, so the next retry picks them up again.
    for (const j of jobs) {
      await ports.messages.updateDelivery(j.messageId, j.integrationId, {
        status: 'failed',
        lastError: 'The retry could not be queued; try again.',
      });
    }
    throw e;
  }
  return { restarted: jobs, notRestarted: refs.length - jobs.length };
}

/** The filters of the message log (GET /admin/messages). */
export interface MessageLogQuery extends LogQuery {
  limit: number;
  cursor?: string;
}

/** The most message heads one page of a status or integration filter looks at before it answers. */
const MAX_EXAMINED_PER_PAGE = 500;

/**
 * The message log, newest first: the index walk answers heads in order, each read whole (one Query of
 * its partition) for its deliveries; status and integration are read from those. A page ends when it
 * is full or has looked at MAX_EXAMINED_PER_PAGE messages, and its cursor starts the next page after
 * the last message looked at, so messages arriving meanwhile (newer) never shift a later page.
 */
export async function messageLog(
  ports: { log: Pick<MessageLog, 'walk'>; messages: Pick<MessageRepository, 'getRecord'>; clock: Clock },
  q: MessageLogQuery,
) {
  if (q.since && q.until && q.since > q.until) throw badRequest('invalid_parameter', 'since is after until.');
  const messages: ReturnType<typeof logEntry>[] = [];
  let examined = 0;
  const nextCursor = await ports.log.walk(q, q.cursor, ports.clock.now(), q.limit, async (item) => {
    examined += 1;
    const record = await ports.messages.getRecord(String(item.pk).slice('MSG#'.length));
    if (record) {
      const entry = logEntry(record);
      if (matches(entry, q)) messages.push(entry);
    }
    return messages.length >= q.limit || examined >= MAX_EXAMINED_PER_PAGE;
  });
  return { messages, ...(nextCursor ? { nextCursor } : {}) };
}

/** Every filter, checked on the message read (the index served one; a delivery row knows no doctype). */
function matches(entry: ReturnType<typeof logEntry>, q: LogQuery): boolean {
  return (
    (!q.sender || entry.sender === q.sender) &&
    (!q.receiver || entry.receiver === q.receiver) &&
    (!q.partner || entry.sender === q.partner || entry.receiver === q.partner) &&
    (!q.doctype || entry.doctype === q.doctype) &&
    (!q.status || entry.status === q.status) &&
    (!q.integrationId || entry.deliveries.some((d) => d.integrationId === q.integrationId)) &&
    (!q.since || entry.receivedAt >= q.since) &&
    (!q.until || entry.receivedAt <= q.until)
  );
}

function logEntry(record: MessageRecord) {
  const m = record.message;
  return {
    id: m.id,
    status: messageStatus(record.deliveries),
    sender: m.sender,
    receiver: m.receiver,
    doctype: m.doctype,
    version: m.version,
    size: m.size,
    receivedAt: m.receivedAt,
    ...(m.source ? { source: m.source } : {}),
    deliveries: record.deliveries.map((d) => {
      const last = d.attempts?.at(-1);
      return {
        integrationId: d.integrationId,
        status: d.status,
        attempts: d.attemptCount,
        ...(last?.statusCode !== undefined ? { lastStatusCode: last.statusCode } : {}),
        ...(d.nextAttemptAt ? { nextAttemptAt: d.nextAttemptAt } : {}),
      };
    }),
  };
}
