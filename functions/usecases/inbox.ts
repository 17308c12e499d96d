import type { MessageRepository } from '../adapters/messages.js';
import type { Clock } from '../core/clock.js';

/** A receiver's mailbox of pull deliveries: leased with receipt handles, then completed. */

export interface InboxPorts {
  messages: Pick<MessageRepository, 'leaseInbox' | 'get' | 'completeInbox'>;
  clock: Clock;
}

/** Leases up to `limit` waiting deliveries for `visibilitySeconds`; each comes with its receipt handle. */
export async function leaseInbox(
  ports: InboxPorts,
  receiver: string,
  limit: number,
  visibilitySeconds: number,
) {
  const leased = await ports.messages.leaseInbox(receiver, limit, ports.clock.now(), visibilitySeconds);
  const items = await Promise.all(
    leased.map(async (l) => ({ lease: l, message: await ports.messages.get(l.messageId) })),
  );
  return items.flatMap(({ lease, message: m }) =>
    m
      ? [
          {
            id: lease.messageId,
            receiptHandle: lease.receiptHandle,
            sender: m.sender,
            doctype: m.doctype,
            version: m.version,
            size: m.size,
            receivedAt: m.receivedAt,
          },
        ]
      : [],
  );
}

/** Completes leased deliveries; answers those that were not (unknown id, or a stale handle). */
export async function completeInbox(
  ports: InboxPorts,
  receiver: string,
  items: readonly { id: string; receiptHandle: string }[],
): Promise<{ id: string; error: string }[]> {
  const now = ports.clock.now();
  const failed: { id: string; error: string }[] = [];
  for (const item of items) {
    if (!(await ports.messages.completeInbox(receiver, item.id, item.receiptHandle, now))) {
      failed.push({
        id: item.id,
        error: 'unknown id, or the receipt handle is stale (its lease ended or a newer one exists)',
      });
    }
  }
  return failed;
}
