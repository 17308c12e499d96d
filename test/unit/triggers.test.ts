import { describe, expect, it } from 'vitest';
import {
  decideOnChange,
  decideOnTick,
  MAX_HOPS,
  nextTick,
  type RowChange,
  type TriggerIntegration,
} from '../../functions/core/triggers.js';

const integration = (over: Partial<TriggerIntegration> = {}): TriggerIntegration => ({
  id: 'int_a',
  direction: 'Outbound',
  active: true,
  entity: 'invoice',
  includeUpdate: false,
  continuous: false,
  ...over,
});
const change = (over: Partial<RowChange> = {}): RowChange => ({
  entity: 'invoice',
  owner: 'teamogy',
  version: 1,
  hops: 0,
  identical: false,
  ...over,
});

describe('triggers', () => {
  // The trigger table: what happens to a row across two versions, for every combination of how the
  // filter moves, whether the second write changed the body, and includeUpdate. (Order under
  // parallel: false is the delivery engine's, tested there; continuous acts only at ticks, below.)
  type Filter = 'false→true' | 'true→true' | 'true→false';
  const filters: Filter[] = ['false→true', 'true→true', 'true→false'];
  const cases = filters.flatMap((filter) =>
    [false, true].flatMap((identical) =>
      [false, true].map((includeUpdate) => ({ filter, identical, includeUpdate })),
    ),
  );

  it.each(cases)('create then update: %o', ({ filter, identical, includeUpdate }) => {
    const i = integration({ includeUpdate });
    const [first, second] = filter.split('→').map((x) => x === 'true') as [boolean, boolean];
    const sent: number[] = [];
    const created = decideOnChange(i, change({ version: 1 }), {}, first);
    if (created.send) sent.push(1);
    const updated = decideOnChange(
      i,
      change({ version: identical ? 1 : 2, identical }),
      { sentVersion: sent.at(-1) },
      second,
    );
    if (updated.send) sent.push(2);
    const expected =
      filter === 'false→true'
        ? identical
          ? []
          : [2]
        : filter === 'true→true'
          ? identical || !includeUpdate
            ? [1]
            : [1, 2]
          : [1];
    expect(sent).toEqual(expected);
    if (identical) expect(updated).toEqual({ send: false, reason: 'identical' });
  });

  it('continuous re-sends a still-eligible row at each tick, and stops when the filter turns false', () => {
    const i = integration({ includeUpdate: true, continuous: true });
    expect(decideOnTick(i, change(), true)).toEqual({ send: true });
    expect(decideOnTick(i, change(), false)).toEqual({ send: false, reason: 'filter-false' });
    expect(decideOnTick(integration({ includeUpdate: true }), change(), true).send).toBe(false);
  });

  it('never lets a write-back trigger the integration that wrote it; others see an update', () => {
    const writer = integration({ includeUpdate: true });
    const other = integration({ id: 'int_b', includeUpdate: true });
    const writeBack = change({ version: 2, hops: 1, writtenBy: 'int_a' });
    expect(decideOnChange(writer, writeBack, { sentVersion: 1 }, true)).toEqual({
      send: false,
      reason: 'own-write-back',
    });
    expect(decideOnChange(other, writeBack, { sentVersion: 1 }, true)).toEqual({ send: true });
  });

  it('ends a loop at the hop limit', () => {
    const i = integration({ includeUpdate: true });
    expect(decideOnChange(i, change({ hops: MAX_HOPS - 1 }), {}, true).send).toBe(true);
    expect(decideOnChange(i, change({ hops: MAX_HOPS }), {}, true)).toEqual({
      send: false,
      reason: 'hop-limit',
    });
  });

  it('routes only active Outbound integrations of the entity, from their sender if they set one', () => {
    expect(decideOnChange(integration({ active: false }), change(), {}, true).send).toBe(false);
    expect(decideOnChange(integration({ direction: 'Inbound' }), change(), {}, true).send).toBe(false);
    expect(decideOnChange(integration({ entity: 'order' }), change(), {}, true).send).toBe(false);
    expect(decideOnChange(integration({ sender: 'other' }), change(), {}, true).send).toBe(false);
    expect(decideOnChange(integration({ sender: 'teamogy' }), change(), {}, true).send).toBe(true);
  });

  it('ticks every N minutes from 00:00 UTC', () => {
    const at = (iso: string) => Date.parse(iso);
    expect(nextTick(at('2026-12-01T10:07:00Z'), 15)).toBe(at('2026-12-01T10:15:00Z'));
    expect(nextTick(at('2026-12-01T10:15:00Z'), 15)).toBe(at('2026-12-01T10:30:00Z'));
    expect(nextTick(at('2026-12-01T23:59:00Z'), 60)).toBe(at('2026-12-02T00:00:00Z'));
    expect(nextTick(at('2026-12-01T10:07:00Z'), 1440)).toBe(at('2026-12-02T00:00:00Z'));
  });
});
