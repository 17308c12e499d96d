import { type RowTick, tickMessageId } from '../core/entities.js';
import { isDisabled } from '../core/health.js';
import type { StoredIntegration } from '../core/integration.js';
import { capReason } from '../core/reason.js';
import { sha256Hex } from '../core/secrets.js';
import { decideOnTick, nextTick } from '../core/triggers.js';
import { logger } from '../observability.js';
import { enabledFor, routingStop } from './enablements.js';
import { asTrigger, type EntityPorts, sendRowMessage } from './entities.js';
import { filterAdmits } from './filters.js';

/**
 * Continuous integrations (Contract v2, "Triggers": `continuous`; seed 004: "repeatedly executed,
 * even if the row is not updated … include an expiry in the filter"). A row a continuous integration
 * sent has a RowTick due at the integration's next tick but one; each run of the row sweep takes the
 * ticks that are due and, for each, sends the row as it is now while its filter holds (the message is
 * not held again: this is its tick), then moves the tick on. A row deleted, written again by another
 * partner, whose filter turned false, or whose integration is gone, inactive, no longer continuous
 * or no longer enabled by the owner drops its tick; a later eligible update sets one again.
 *
 * While the integration is disabled for failing (endpoint health), a due row is not sent (it would
 * only wait as one more held delivery per tick) and its tick moves on.
 *
 * A run late by several ticks (the hub was down) sends once and moves on to the next tick from now,
 * rather than sending once per missed tick. A crash between sending and moving the tick on sends
 * the same message id again at the next run, which the engine delivers once.
 */
export interface TickRun {
  sent: number;
  stopped: number;
  failed: number;
  /** Due while their integration is disabled for failing: moved on to the next tick, not sent. */
  skipped: number;
}

export interface TickOptions {
  /** Ticks read per query. */
  pageSize?: number;
  /** Ticks worked at once. */
  concurrency?: number;
  /** Clock time after which no new page is started (the rest stays due for the next run). */
  until?: number;
}

export async function sendDueTicks(p: EntityPorts, o: TickOptions = {}): Promise<TickRun> {
  const pageSize = o.pageSize ?? 100;
  const concurrency = o.concurrency ?? 8;
  const run: TickRun = { sent: 0, stopped: 0, failed: 0, skipped: 0 };
  let integrations: Map<string, StoredIntegration> | undefined;
  const failedBefore = new Set<string>();
  for (;;) {
    const now = p.clock.now();
    if (o.until !== undefined && now > o.until) break;
    const due = (await p.ticks.due(new Date(now).toISOString(), pageSize + failedBefore.size)).filter(
      (t) => !failedBefore.has(keyOf(t)),
    );
    if (due.length === 0) break;
    integrations ??= new Map((await p.registry.listIntegrations()).map((i) => [i.id, i]));
    const byId = integrations;
    for (let at = 0; at < due.length; at += concurrency) {
      await Promise.all(
        due.slice(at, at + concurrency).map(async (t) => {
          try {
            const outcome = await workTick(p, t, byId.get(t.integrationId), now);
            run[outcome]++;
          } catch (e) {
            // Left due: the next run tries again; this run does not spin on it.
            failedBefore.add(keyOf(t));
            run.failed++;
            logger.warn('a continuous re-send failed; it stays due', {
              integrationId: t.integrationId,
              entity: t.entity,
              reason: capReason(String((e as Error)?.message ?? e)),
            });
          }
        }),
      );
    }
    if (due.length < pageSize) break;
  }
  return run;
}

const keyOf = (t: RowTick) => `${t.integrationId}\n${t.entity}\n${t.id}`;

async function workTick(
  p: EntityPorts,
  t: RowTick,
  integration: StoredIntegration | undefined,
  now: number,
): Promise<'sent' | 'stopped' | 'skipped'> {
  const stop = async () => {
    await p.ticks.drop(t);
    return 'stopped' as const;
  };
  if (!integration?.continuous || !integration.receiver) return stop();
  const row = await p.rows.get(t.entity, t.id);
  // Deleted, or deleted and written again (by another partner, or as a new incarnation): not this row.
  if (!row || row.owner !== t.owner || row.gen !== t.gen) return stop();
  if ((await routingStop(p.enablements, integration, row.owner)) !== undefined) return stop();
  const [i = integration] = await enabledFor(p.enablements, [integration], row.owner);
  const d = decideOnTick(asTrigger(i), row, await filterAdmits(i, row.data));
  if (!d.send || !i.defaultSchedule) return stop();
  const next = new Date(nextTick(now, i.defaultSchedule)).toISOString();
  if (isDisabled(integration)) {
    // Its deliveries would only wait as held, one more per tick: the row waits for a tick after
    // the operator enables it (POST /admin/integrations/{id}/enable) instead.
    await p.ticks.advance(t, next);
    return 'skipped';
  }
  // This is the tick the send was due at: it goes now, not at the next one.
  await sendRowMessage(p, row, { ...i, defaultSchedule: null }, tickMessageId(sha256Hex, row, t));
  await p.ticks.advance(t, next);
  return 'sent';
}
