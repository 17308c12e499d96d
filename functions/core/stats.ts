/**
 * The operator's delivery statistics (GET /admin/stats): hourly counters kept where messages are
 * accepted and deliveries end, so reading a window costs its hours, never the table. Rules only.
 */

/** How long the hourly counters are kept: as long as the messages they count. */
export const STATS_RETENTION_DAYS = 90;
/** The window GET /admin/stats reads when no since is given. */
export const DEFAULT_STATS_WINDOW_MS = 24 * 3_600_000;

const HOUR_MS = 3_600_000;

/** The hour an instant is counted in, as its ISO prefix: `2026-12-02T20`. */
export const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13);
/** The start of the hour an instant is counted in (epoch ms). */
export const hourStart = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

export type DeliveryOutcome = 'delivered' | 'failed';

/** An integration's health: `disabled` once the hub switched it off for failing, else `ok`. */
export type Health = 'ok' | 'disabled';
export const healthOf = (integration: object | undefined): Health =>
  integration && 'health' in integration && integration.health === 'disabled' ? 'disabled' : 'ok';

/** One hour's counts: of accepted messages (the hour's total row), or of one integration's deliveries. */
export interface HourCounts {
  hour: string;
  integrationId?: string;
  accepted?: number;
  delivered?: number;
  failed?: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
}

export interface IntegrationStats {
  integrationId: string;
  delivered: number;
  failed: number;
  retrying: number;
  lastSuccessAt?: string;
  lastFailureAt?: string;
}

const later = (a: string | undefined, b: string | undefined) => (!a ? b : !b ? a : a > b ? a : b);

/**
 * Sums the hours and the deliveries now retrying (one integration id per retrying delivery) into the
 * totals and one entry per integration seen (or holding deliveries), ordered by integration id.
 */
export function summarize(
  hours: readonly HourCounts[],
  retryingOf: readonly string[],
  /** The integration of each held delivery: an integration with only held ones is listed too. */
  heldOf: readonly string[] = [],
) {
  let accepted = 0;
  const byIntegration = new Map<string, IntegrationStats>();
  const entry = (integrationId: string) => {
    let e = byIntegration.get(integrationId);
    if (!e) {
      e = { integrationId, delivered: 0, failed: 0, retrying: 0 };
      byIntegration.set(integrationId, e);
    }
    return e;
  };
  for (const h of hours) {
    accepted += h.accepted ?? 0;
    if (!h.integrationId) continue;
    const e = entry(h.integrationId);
    e.delivered += h.delivered ?? 0;
    e.failed += h.failed ?? 0;
    const success = later(e.lastSuccessAt, h.lastSuccessAt);
    const failure = later(e.lastFailureAt, h.lastFailureAt);
    if (success) e.lastSuccessAt = success;
    if (failure) e.lastFailureAt = failure;
  }
  for (const id of retryingOf) entry(id).retrying += 1;
  // A disabled integration's messages wait held and none of its deliveries end: it is listed all the
  // same, so its `health` shows.
  for (const id of heldOf) entry(id);
  const integrations = [...byIntegration.values()].sort((a, b) =>
    a.integrationId < b.integrationId ? -1 : 1,
  );
  const sum = (k: 'delivered' | 'failed' | 'retrying') => integrations.reduce((n, e) => n + e[k], 0);
  return {
    accepted,
    delivered: sum('delivered'),
    failed: sum('failed'),
    retrying: sum('retrying'),
    integrations,
  };
}
