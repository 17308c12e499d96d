import { describe, expect, it } from 'vitest';
import { autoDisableHoursOf, healthAfterEnd } from '../../functions/core/health.js';
import { MAX_REASON_CHARS } from '../../functions/core/reason.js';
import { cachedIntegrations } from '../../functions/usecases/deliver.js';
import { pushIntegration } from '../support/fixtures.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const HOUR = 3_600_000;
const at = (h: number) => new Date(T0 + h * HOUR).toISOString();

/** core/health.ts: what one delivery's end changes, judged on the integration as read. */
describe('endpoint health rules', () => {
  const i = (over: Parameters<typeof pushIntegration>[0] = {}) => pushIntegration(over);

  it('opens the window at the first failed end, keeps it, and disables when it reaches the hours', () => {
    expect(healthAfterEnd(i(), 'failed', T0)).toEqual({ kind: 'startFailing', at: at(0) });
    const failing = i({ failingSince: at(0) });
    expect(healthAfterEnd(failing, 'failed', T0 + 119.9 * HOUR)).toEqual({ kind: 'none' });
    expect(healthAfterEnd(failing, 'failed', T0 + 120 * HOUR, 'HTTP 503 (attempt 4 of 4, the last)')).toEqual(
      {
        kind: 'disable',
        at: at(120),
        since: at(0),
        reason: expect.stringMatching(/since 2026-12-01T00:00:00.000Z .* for 120 hours.*HTTP 503/),
      },
    );
  });

  it('closes the window at a delivered end, and writes nothing when none is open', () => {
    expect(healthAfterEnd(i({ failingSince: at(0) }), 'delivered', T0)).toEqual({
      kind: 'recover',
      since: at(0),
    });
    expect(healthAfterEnd(i(), 'delivered', T0)).toEqual({ kind: 'none' });
  });

  it('with 0 disables at the first failed end; with null never, and keeps no window', () => {
    expect(healthAfterEnd(i({ autoDisableAfterHours: 0 }), 'failed', T0)).toMatchObject({
      kind: 'disable',
      since: undefined,
      reason: expect.stringMatching(/autoDisableAfterHours is 0/),
    });
    expect(healthAfterEnd(i({ autoDisableAfterHours: null }), 'failed', T0)).toEqual({ kind: 'none' });
    expect(healthAfterEnd(i({ autoDisableAfterHours: null, failingSince: at(-999) }), 'failed', T0)).toEqual({
      kind: 'none',
    });
    expect(
      healthAfterEnd(i({ autoDisableAfterHours: 0.5, failingSince: at(0) }), 'failed', T0 + 0.5 * HOUR),
    ).toMatchObject({
      kind: 'disable',
    });
  });

  it('watches only Outbound push and notify integrations that are not disabled already', () => {
    expect(healthAfterEnd(i({ delivery: { mode: 'pull', format: 'raw' } }), 'failed', T0)).toEqual({
      kind: 'none',
    });
    expect(healthAfterEnd(i({ direction: 'Inbound' }), 'failed', T0)).toEqual({ kind: 'none' });
    expect(healthAfterEnd(i({ health: 'disabled', autoDisableAfterHours: 0 }), 'failed', T0)).toEqual({
      kind: 'none',
    });
    expect(
      healthAfterEnd(
        i({ delivery: { mode: 'notify', url: 'https://x.example', format: 'raw' } }),
        'failed',
        T0,
      ),
    ).toMatchObject({ kind: 'startFailing' });
  });

  it('caps the reason, and reads an integration stored before the field as the default 120 hours', () => {
    const long = healthAfterEnd(i({ autoDisableAfterHours: 0 }), 'failed', T0, 'x'.repeat(5000));
    expect(long.kind === 'disable' && long.reason.length).toBe(MAX_REASON_CHARS);
    const { autoDisableAfterHours: _a, ...old } = i();
    expect(autoDisableHoursOf(old as { autoDisableAfterHours?: number | null })).toBe(120);
  });
});

describe('the worker’s integration cache', () => {
  it('applies what a health write changed until its second is up, then reads again', async () => {
    let now = T0;
    let reads = 0;
    const read = cachedIntegrations(
      async () => {
        reads++;
        return pushIntegration();
      },
      { now: () => now },
    );
    expect((await read('int_1'))?.failingSince).toBeUndefined();
    read.remember('int_1', { failingSince: at(0) });
    expect((await read('int_1'))?.failingSince).toBe(at(0));
    read.remember('int_1', { failingSince: undefined, health: 'disabled' });
    expect(await read('int_1')).toMatchObject({ health: 'disabled' });
    expect((await read('int_1'))?.failingSince).toBeUndefined();
    expect(reads).toBe(1);
    now += 1000;
    expect((await read('int_1'))?.health).toBeUndefined();
    expect(reads).toBe(2);
  });
});
