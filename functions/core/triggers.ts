/**
 * When an Outbound integration sends an entity row (Contract v2, "Triggers"; seeds 001 and 004).
 * Pure rules: the caller evaluates the integration's filter (under the expression budget) and
 * passes its result; the decision and its reason are what the row's `deliveries` show.
 */

/** A change 8 hops from a partner's own write triggers nothing (loops between integrations end). */
export const MAX_HOPS = 8;

/** A version of a row, as the trigger rules see it. */
export interface RowChange {
  entity: string;
  owner: string;
  version: number;
  /** 0 for a partner's own write; a version the hub made counts one more than the change behind it. */
  hops: number;
  /** The integration whose write-back made this version, if one did: it never triggers itself. */
  writtenBy?: string | undefined;
  /** True when the body equals the previous version's: no new version, nothing triggers. */
  identical: boolean;
}

/** The fields of an integration the rules read. */
export interface TriggerIntegration {
  id: string;
  direction: 'Outbound' | 'Inbound';
  active: boolean;
  entity: string;
  sender?: string | null | undefined;
  includeUpdate: boolean;
  continuous: boolean;
}

/** What the row has seen of one integration: the last version it sent, if any. */
export interface TriggerState {
  sentVersion?: number | undefined;
}

export type TriggerDecision =
  | { send: true }
  | {
      send: false;
      /** Why not, for the row's deliveries when it is worth telling (the hop limit); else quiet. */
      reason: 'not-routed' | 'identical' | 'filter-false' | 'already-sent' | 'own-write-back' | 'hop-limit';
    };

/** Does the integration carry rows of this entity from this owner (before its filter)? */
export function routesRow(i: TriggerIntegration, row: Pick<RowChange, 'entity' | 'owner'>): boolean {
  return (
    i.active && i.direction === 'Outbound' && i.entity === row.entity && (!i.sender || i.sender === row.owner)
  );
}

/**
 * Whether a new version of a row is sent by an integration:
 * - default (FinanceKey's "once per row"): at the first version that is eligible, and never again;
 * - `includeUpdate`: every eligible version;
 * - an identical body triggers nothing; a write-back never triggers the integration that wrote it;
 *   a change `MAX_HOPS` from a partner's own write triggers nothing.
 */
export function decideOnChange(
  i: TriggerIntegration,
  row: RowChange,
  state: TriggerState,
  filterPasses: boolean,
): TriggerDecision {
  if (!routesRow(i, row)) return { send: false, reason: 'not-routed' };
  if (row.identical) return { send: false, reason: 'identical' };
  if (row.writtenBy === i.id) return { send: false, reason: 'own-write-back' };
  if (row.hops >= MAX_HOPS) return { send: false, reason: 'hop-limit' };
  if (!filterPasses) return { send: false, reason: 'filter-false' };
  if (!i.includeUpdate && state.sentVersion !== undefined) return { send: false, reason: 'already-sent' };
  return { send: true };
}

/**
 * Whether a continuous integration sends a row again at a tick without any change: while the row
 * exists and its filter holds (filters carry an expiry, so the repetition ends).
 */
export function decideOnTick(
  i: TriggerIntegration,
  row: Pick<RowChange, 'entity' | 'owner'>,
  filterPasses: boolean,
): TriggerDecision {
  if (!routesRow(i, row) || !i.continuous) return { send: false, reason: 'not-routed' };
  if (!filterPasses) return { send: false, reason: 'filter-false' };
  return { send: true };
}

/**
 * The next tick of a schedule of `everyMinutes`, strictly after `now` (ms since the epoch). Ticks are
 * counted from 00:00 UTC of 1 January 1970, so a schedule that divides the day (5, 15, 60, 1440
 * minutes) ticks at 00:00 UTC every day, and a longer one (up to 10080, a week) keeps its period
 * across midnights instead of restarting at each.
 */
export function nextTick(now: number, everyMinutes: number): number {
  const step = everyMinutes * 60_000;
  return (Math.floor(now / step) + 1) * step;
}
