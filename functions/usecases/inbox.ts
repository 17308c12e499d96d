import type { EnablementRepository } from '../adapters/enablements.js';
import type { MessageRepository } from '../adapters/messages.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { clientOf } from '../core/enablements.js';
import type { StoredIntegration } from '../core/integration.js';
import { routingStop } from './enablements.js';

/** A receiver's mailbox of pull deliveries: leased with receipt handles, then completed. */

export interface InboxPorts {
  messages: Pick<MessageRepository, 'leaseInbox' | 'get' | 'completeInbox' | 'failLeased'>;
  /** A managed integration's delivery goes only while its client has it enabled. */
  registry: Pick<RegistryRepository, 'getIntegration'>;
  enablements: Pick<EnablementRepository, 'forClient'>;
  clock: Clock;
}

/** Leases up to `limit` waiting deliveries for `visibilitySeconds`; each comes with its receipt handle. */
export async function leaseInbox(
  ports: InboxPorts,
  receiver: string,
  limit: number,
  visibilitySeconds: number,
) {
  const now = ports.clock.now();
  const leased = await ports.messages.leaseInbox(receiver, limit, now, visibilitySeconds);
  const integrations = new Map<string, Promise<StoredIntegration | undefined>>();
  const integrationOf = (id: string) => {
    if (!integrations.has(id)) integrations.set(id, ports.registry.getIntegration(id));
    return integrations.get(id) as Promise<StoredIntegration | undefined>;
  };
  const items = await Promise.all(
    leased.map(async (l) => {
      const message = await ports.messages.get(l.messageId);
      const integration = message && (await integrationOf(l.integrationId));
      const stopped =
        integration && (await routingStop(ports.enablements, integration, clientOf(integration, message)));
      if (!stopped) return { lease: l, message };
      // Its client switched the managed integration off (or lost consent): it ends here, unseen.
      await ports.messages.failLeased(receiver, l, stopped, now);
      return { lease: l, message: undefined };
    }),
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
