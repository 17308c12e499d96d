import type { DeliveryQueue } from '../adapters/delivery-queue.js';
import type { FirstRow, MessageRepository, StoredMessage } from '../adapters/messages.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { notFound } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { healthAfterEnd, heldSort, type IntegrationHealth, isDisabled } from '../core/health.js';
import { type StoredIntegration, shown } from '../core/integration.js';
import { capReason } from '../core/reason.js';
import { logger } from '../observability.js';
import { tell } from './events.js';

/**
 * Endpoint health (Contract v2, "Health and operational events"; the rules are core/health.ts): what a
 * delivery's end changes, holding a delivery of a disabled integration before its attempt, and
 * releasing the held deliveries when the operator enables the integration again.
 */

/** What the delivery worker needs for endpoint health. */
export interface EndpointHealthPorts {
  /** The health writes (each one conditional write) and a consistent read of the integration. */
  registry: Pick<RegistryRepository, 'startFailing' | 'recover' | 'disable' | 'getIntegration'>;
  /** The held list and the hold/release transitions of deliveries. */
  held: Pick<MessageRepository, 'holdDelivery' | 'releaseDelivery' | 'dropHeldEntries'>;
  /**
   * Tells the worker's integration cache what a health write changed, so the ends that follow within
   * the cache's second judge on it and do not write again.
   */
  remember?: (integrationId: string, fields: HealthFields) => void;
}

/** Health fields as a write changed them (undefined: removed). */
export type HealthFields = { [K in keyof IntegrationHealth]?: IntegrationHealth[K] | undefined };

/**
 * Applies one delivery's end to its integration's health: at most one small conditional write, and
 * only when the state changes (a window opens, closes, or disables the integration), judged on the
 * integration as the worker read it (cached for a second). `integration.disabled` is told by the one
 * write that disabled it. Never throws: the delivery's outcome is already stored, and health is
 * bookkeeping about it.
 */
export async function noteDeliveryEnd(
  ports: { health: EndpointHealthPorts; events: EventSink; clock: Clock },
  integration: StoredIntegration,
  outcome: 'delivered' | 'failed',
  lastError?: string,
): Promise<void> {
  const now = ports.clock.now();
  const change = healthAfterEnd(integration, outcome, now, lastError);
  if (change.kind === 'none') return;
  const { registry, remember } = ports.health;
  try {
    if (change.kind === 'startFailing') {
      await registry.startFailing(integration.id, change.at);
      remember?.(integration.id, { failingSince: change.at });
    } else if (change.kind === 'recover') {
      await registry.recover(integration.id, change.since);
      remember?.(integration.id, { failingSince: undefined });
    } else if (await registry.disable(integration.id, change)) {
      remember?.(integration.id, {
        health: 'disabled',
        disabledAt: change.at,
        disabledReason: change.reason,
        failingSince: change.since ?? change.at,
      });
      await tell(ports.events, {
        type: 'integration.disabled',
        at: now,
        integrationId: integration.id,
        ...(integration.receiver ? { partner: integration.receiver } : {}),
        detail: change.reason,
      });
    }
  } catch (e) {
    logger.warn('could not record an integration’s endpoint health', {
      integrationId: integration.id,
      change: change.kind,
      reason: capReason(String((e as Error)?.message ?? e)),
    });
  }
}

/**
 * Holds a delivery of a disabled integration instead of attempting it: no attempt is claimed, so
 * none is used. Then reads the integration again, consistently: if the operator enabled it after the
 * worker's (cached) read, the enable's release may already have paged the held list, so this delivery
 * releases itself and is looked at again in a couple of seconds (`retryInSeconds`), as it is when the
 * integration was deleted meanwhile (that look ends it failed); otherwise its job is done, and the
 * enable will release it.
 */
export async function holdDelivery(
  ports: { health: EndpointHealthPorts },
  message: StoredMessage,
  integrationId: string,
  firstRow: FirstRow | undefined,
): Promise<{ held: boolean; retryInSeconds?: number }> {
  const { held, registry, remember } = ports.health;
  if (!(await held.holdDelivery(message, integrationId, firstRow))) return { held: false };
  const now = await registry.getIntegration(integrationId, true);
  if (now && isDisabled(now)) return { held: true };
  // Enabled meanwhile, or deleted (its next look ends it failed): not held after all.
  if (now) remember?.(integrationId, { health: 'ok' });
  if (await held.releaseDelivery(message.id, integrationId)) {
    await held.dropHeldEntries(integrationId, [{ messageId: message.id, sort: heldSort(message) }]);
  }
  return { held: false, retryInSeconds: 2 };
}

/** How many held deliveries one release job (one worker invocation's share) releases. */
export const RELEASE_SLICE = 500;

export interface ReleasePorts {
  registry: Pick<RegistryRepository, 'getIntegration'>;
  messages: Pick<
    MessageRepository,
    'heldEntries' | 'releaseDelivery' | 'holdAgain' | 'dropHeldEntries' | 'getForDelivery'
  >;
  queue: Pick<DeliveryQueue, 'enqueue' | 'enqueueRelease'>;
  clock: Clock;
}

/**
 * Releases the oldest `slice` held deliveries of an integration that is enabled again, in arrival
 * order: each goes back to `queued` (one conditional write; a delivery no longer held is skipped) and
 * its job is queued, ordered ones into the integration's FIFO group in that order. Their list entries
 * are dropped once the jobs are queued. If the jobs cannot be queued, the deliveries are held again and
 * the error escapes (the release job comes back). When a full slice was released, a release job for
 * the next slice is queued, so any number of held deliveries go out at a bounded cost per invocation.
 * An integration disabled again meanwhile releases nothing (its deliveries stay held); a deleted
 * one's are released all the same, and their jobs end them failed ("The integration was deleted.").
 */
export async function releaseHeld(
  ports: ReleasePorts,
  integrationId: string,
  slice = RELEASE_SLICE,
): Promise<{ released: number; more: boolean }> {
  const integration = await ports.registry.getIntegration(integrationId, true);
  if (integration && isDisabled(integration)) return { released: 0, more: false };
  const entries = await ports.messages.heldEntries(integrationId, slice);
  const released: string[] = [];
  // A few at a time: each is its own conditional write, and their order is kept in `released`.
  for (let i = 0; i < entries.length; i += 25) {
    const part = entries.slice(i, i + 25);
    const moved = await Promise.all(
      part.map(async (e) => {
        if (await ports.messages.releaseDelivery(e.messageId, integrationId)) return true;
        // Released already but still listed: a run that died before queuing it (it drops the
        // entries last). Queued again; a second job is harmless, a missing one would leave it queued.
        const { delivery } = await ports.messages.getForDelivery(e.messageId, integrationId);
        return delivery?.status === 'queued';
      }),
    );
    released.push(...part.filter((_, k) => moved[k]).map((e) => e.messageId));
  }
  const releasedAt = ports.clock.now();
  try {
    await ports.queue.enqueue(
      released.map((messageId) => ({
        messageId,
        integrationId,
        ordered: integration?.parallel === false,
        releasedAt,
      })),
    );
  } catch (e) {
    await Promise.all(released.map((id) => ports.messages.holdAgain(id, integrationId).catch(() => false)));
    throw e;
  }
  await ports.messages.dropHeldEntries(integrationId, entries);
  const more = entries.length === slice;
  if (more) await ports.queue.enqueueRelease(integrationId);
  return { released: released.length, more };
}

export interface EnablePorts {
  registry: Pick<RegistryRepository, 'getIntegration' | 'enable'>;
  queue: Pick<DeliveryQueue, 'enqueueRelease'>;
  events: EventSink;
  clock: Clock;
}

/**
 * POST /admin/integrations/{id}/enable: health back to ok (the failing window forgotten), told as
 * `integration.enabled`, and a release job for the delivery workers, which send the held deliveries.
 * An integration whose health is ok is answered as it is; its held list is looked at again all the
 * same (a release job that finds nothing), which also sends any delivery left held by a worker that
 * stopped between holding it and checking the integration again.
 */
export async function enableIntegration(ports: EnablePorts, id: string) {
  const before = await ports.registry.getIntegration(id, true);
  if (!before) throw notFound(`Integration ${id}`);
  if (await ports.registry.enable(id)) {
    await tell(ports.events, {
      type: 'integration.enabled',
      at: ports.clock.now(),
      integrationId: id,
      ...(before.receiver ? { partner: before.receiver } : {}),
      detail: capReason(
        `Enabled by the operator; its held deliveries go out in arrival order. It had been disabled at ${before.disabledAt ?? 'an unknown time'}: ${before.disabledReason ?? 'no reason kept'}`,
      ),
    });
  }
  await ports.queue.enqueueRelease(id);
  const after = await ports.registry.getIntegration(id, true);
  if (!after) throw notFound(`Integration ${id}`);
  return shown(after);
}
