import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowTick } from '../../functions/core/entities.js';
import { nextTick } from '../../functions/core/triggers.js';
import { rowAdapters, rowTicks } from '../../functions/deps.js';
import { sendDueTicks } from '../../functions/usecases/continuous.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * Contract v2, "Triggers", as a table through the real hub: every (how the second write changes the
 * filter) × (changed or identical body) × includeUpdate × continuous × parallel, each with its own
 * integration and row. A create is the first write; the second is the update. Each case checks what
 * each PUT queued, the row's deliveries, and for continuous integrations the re-send each row owes,
 * which one tick then sends (filter still true) or ends (filter now false).
 */
type FilterMove = 'false→false' | 'false→true' | 'true→true' | 'true→false';
interface Case {
  n: number;
  filter: FilterMove;
  identical: boolean;
  includeUpdate: boolean;
  continuous: boolean;
  parallel: boolean;
}

const moves: FilterMove[] = ['false→false', 'false→true', 'true→true', 'true→false'];
const cases: Case[] = moves
  .flatMap((filter) =>
    [false, true].flatMap((identical) =>
      [
        { includeUpdate: false, continuous: false },
        { includeUpdate: true, continuous: false },
        // continuous needs includeUpdate (FinanceKey's rule, and the contract's)
        { includeUpdate: true, continuous: true },
      ].flatMap((flags) => [false, true].map((parallel) => ({ filter, identical, ...flags, parallel }))),
    ),
  )
  .map((c, n) => ({ n, ...c }));

/** The versions each write sends, from the contract's rules alone (not from the code under test). */
function expectedSends(c: Case): { create: number[]; update: number[] } {
  const [before, after] = c.filter.split('→').map((x) => x === 'true') as [boolean, boolean];
  const create = before ? [1] : [];
  if (c.identical) return { create, update: [] };
  const sentBefore = create.length > 0;
  const update = after && (c.includeUpdate || !sentBefore) ? [2] : [];
  return { create, update };
}

describe('the trigger table, through the hub', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let key: string;
  const ids = new Map<number, string>();
  const day = 86_400_000;

  beforeAll(async () => {
    hub = await startTestHub();
    partner = await startPartner();
    for (const code of ['src', 'dst']) await hub.admin('POST', '/admin/partners', { code, name: code });
    key = (await hub.admin('POST', '/admin/partners/src/keys', {})).json.key;
  });
  afterAll(async () => {
    await partner?.stop();
    await hub?.stop();
  });

  const entityOf = (c: Case) => `Matrix${c.n}`;
  const put = async (c: Case, data: unknown) => {
    const r = await hub.partner('PUT', `/v1/entities/${entityOf(c)}/row-1`, key, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
    });
    expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
    return r.json as { version: number; queued: string[]; updatedAt: string };
  };
  const ticksOf = async (integrationId: string): Promise<RowTick[]> =>
    (await rowTicks().due(new Date(Date.now() + 30 * day).toISOString(), 1000)).filter(
      (t) => t.integrationId === integrationId,
    );

  it.each(cases)('case %#: %o', async (c) => {
    const created = await hub.admin('POST', '/admin/integrations', {
      name: `matrix ${c.n}`,
      direction: 'Outbound',
      entity: entityOf(c),
      consentType: 'None',
      sender: 'src',
      receiver: 'dst',
      filter: 'ok = true',
      includeUpdate: c.includeUpdate,
      continuous: c.continuous,
      parallel: c.parallel,
      // A day's schedule holds every send past the test (and is what continuous re-sends by).
      defaultSchedule: 1440,
      delivery: { mode: 'push', url: `${partner.url}/m${c.n}`, format: 'raw' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as string;
    ids.set(c.n, id);
    const [before, after] = c.filter.split('→').map((x) => x === 'true');
    const expected = expectedSends(c);

    const first = await put(c, { ok: before, n: 1 });
    expect(first.version).toBe(1);
    expect(first.queued).toEqual(expected.create.length ? [id] : []);
    const second = await put(c, c.identical ? { ok: before, n: 1 } : { ok: after, n: 2 });
    expect(second.version).toBe(c.identical ? 1 : 2);
    expect(second.queued).toEqual(expected.update.length ? [id] : []);

    const row = (await hub.partner('GET', `/v1/entities/${entityOf(c)}/row-1`, key)).json;
    const sent = [...expected.create, ...expected.update];
    expect(
      row.deliveries.map((d: { integrationId: string; version: number }) => [d.integrationId, d.version]),
    ).toEqual(sent.map((v) => [id, v]));
    for (const d of row.deliveries) {
      const m = (await hub.admin('GET', `/admin/messages/${d.messageId}`)).json;
      expect(m.source).toEqual({ entity: entityOf(c), id: 'row-1', version: d.version });
      // Held to the next daily tick, counted from 00:00 UTC.
      expect(new Date(m.deliveries[0].nextAttemptAt).getUTCHours()).toBe(0);
    }
    // A continuous integration owes a re-send of a row it sent, at the tick after the held one.
    const ticks = await ticksOf(id);
    expect(ticks).toHaveLength(c.continuous && sent.length > 0 ? 1 : 0);
    for (const t of ticks) {
      // Set by the write that sent (the first or the second, which may fall either side of midnight).
      const after = [first.updatedAt, second.updatedAt].map((at) => nextTick(Date.parse(at), 1440) + day);
      expect(after).toContain(Date.parse(t.dueAt));
    }
  });

  it('one tick re-sends the continuous rows whose filter still holds, and ends the others', async () => {
    const owing = cases.filter((c) => {
      const e = expectedSends(c);
      return c.continuous && e.create.length + e.update.length > 0;
    });
    const stillTrue = owing.filter((c) => c.filter.endsWith('true') || c.identical);
    const clock = { now: () => Date.now() + 3 * day };
    const run = await sendDueTicks({ ...rowAdapters(), clock });
    expect(run).toEqual({
      sent: stillTrue.length,
      stopped: owing.length - stillTrue.length,
      failed: 0,
      skipped: 0,
    });
    for (const c of owing) {
      const left = await ticksOf(ids.get(c.n) as string);
      expect(left.map((t) => t.dueAt)).toEqual(
        stillTrue.includes(c) ? [new Date(nextTick(clock.now(), 1440)).toISOString()] : [],
      );
    }
  });
});
