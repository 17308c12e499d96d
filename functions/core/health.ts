import type { IntegrationInput } from './integration.js';
import { capReason } from './reason.js';

/**
 * Endpoint health (Contract v2, "Health and operational events", after Svix's disabling of a dead
 * endpoint): an Outbound push/notify integration whose deliveries have all ended failed for
 * `autoDisableAfterHours`, with none delivered, is disabled. `active` stays as the operator set it;
 * `health` says whether the hub sends. Its deliveries then wait as `held` until the operator enables
 * it again (POST /admin/integrations/{id}/enable).
 *
 * The window is kept on the integration as `failingSince`: set by the first delivery that ends failed
 * after one was delivered (or ever), cleared by a delivered one. These rules decide, from the
 * integration as the worker last read it, what one delivery's end changes, so the worker writes only
 * when the state really changes, and conditions that write on what it read.
 */

export const HEALTH_STATES = ['ok', 'disabled'] as const;
export type Health = (typeof HEALTH_STATES)[number];

/** `autoDisableAfterHours` when the operator sets none (five days, as Svix). */
export const DEFAULT_AUTO_DISABLE_AFTER_HOURS = 120;
export const MAX_AUTO_DISABLE_AFTER_HOURS = 720;

/** What the hub keeps about an integration's endpoint health, beside the operator's fields. */
export interface IntegrationHealth {
  /** Absent means `ok` (integrations stored before endpoint health existed). */
  health?: Health;
  disabledAt?: string;
  disabledReason?: string;
  /** The end of the first failed delivery since the last delivered one; absent while any succeeds. */
  failingSince?: string;
}

/** The health fields, which only the delivery worker and the enable route write (never a PATCH). */
export const HEALTH_FIELDS = [
  'health',
  'disabledAt',
  'disabledReason',
  'failingSince',
] as const satisfies readonly (keyof IntegrationHealth)[];

type Watched = Pick<IntegrationInput, 'direction' | 'delivery'> & {
  autoDisableAfterHours?: number | null | undefined;
} & IntegrationHealth;

/** The window in hours; null: never disabled. An integration stored before the field has the default. */
export const autoDisableHoursOf = (i: Pick<Watched, 'autoDisableAfterHours'>): number | null =>
  i.autoDisableAfterHours === undefined ? DEFAULT_AUTO_DISABLE_AFTER_HOURS : i.autoDisableAfterHours;

/** Only Outbound push and notify integrations have an endpoint whose health is watched. */
export const hasEndpoint = (i: Pick<Watched, 'direction' | 'delivery'>): boolean =>
  i.direction === 'Outbound' && (i.delivery?.mode === 'push' || i.delivery?.mode === 'notify');

export const isDisabled = (i: IntegrationHealth): boolean => i.health === 'disabled';

/** Where a held delivery sorts in its integration's held list: by its message's arrival. */
export const heldSort = (m: { id: string; receivedAt: string }): string => `${m.receivedAt}#${m.id}`;

/** What one delivery's end changes in its integration's health. */
export type HealthChange =
  | { kind: 'none' }
  /** The first failed end since a delivered one: the window starts. */
  | { kind: 'startFailing'; at: string }
  /** A failed end that closes the window: disable. `since` is the window's start as read (absent: none was). */
  | { kind: 'disable'; at: string; since: string | undefined; reason: string }
  /** A delivered end while a window is open: it closes without disabling. */
  | { kind: 'recover'; since: string };

/**
 * What a delivery that ended `outcome` at `now` (epoch ms) changes, judged on the integration as
 * read. `lastError` is the failed delivery's reason, quoted in `disabledReason`.
 */
export function healthAfterEnd(
  i: Watched,
  outcome: 'delivered' | 'failed',
  now: number,
  lastError?: string,
): HealthChange {
  if (outcome === 'delivered') {
    return i.failingSince ? { kind: 'recover', since: i.failingSince } : { kind: 'none' };
  }
  const hours = autoDisableHoursOf(i);
  // null: never disabled, so no window is kept either (one starts at the first failure after a change).
  if (hours === null || !hasEndpoint(i) || isDisabled(i)) return { kind: 'none' };
  const at = new Date(now).toISOString();
  const since = i.failingSince ?? at;
  if (now - Date.parse(since) >= hours * 3_600_000) {
    return { kind: 'disable', at, since: i.failingSince, reason: disabledReason(hours, since, lastError) };
  }
  return i.failingSince ? { kind: 'none' } : { kind: 'startFailing', at };
}

/** Why the hub disabled the integration, capped as every stored reason is. */
export function disabledReason(hours: number, since: string, lastError: string | undefined): string {
  const window =
    hours === 0
      ? 'A delivery ended failed (autoDisableAfterHours is 0)'
      : `Every delivery that ended since ${since} ended failed, none delivered, for ${hours} hours (autoDisableAfterHours)`;
  return capReason(
    `${window}${lastError ? `; the last: ${lastError}` : ''}. Enable it again once the endpoint answers.`,
  );
}
