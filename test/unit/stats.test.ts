import { describe, expect, it } from 'vitest';
import { healthOf, hourOf, hourStart, summarize } from '../../functions/core/stats.js';

describe('delivery statistics rules', () => {
  it('counts by the hour an instant falls in', () => {
    const t = Date.parse('2026-12-02T20:59:59.999Z');
    expect(hourOf(t)).toBe('2026-12-02T20');
    expect(new Date(hourStart(t)).toISOString()).toBe('2026-12-02T20:00:00.000Z');
    expect(hourOf(t + 1)).toBe('2026-12-02T21');
  });

  it('sums hours into totals and per integration, keeping the latest success and failure', () => {
    const s = summarize(
      [
        { hour: '2026-12-02T19', accepted: 4 },
        { hour: '2026-12-02T20', accepted: 3 },
        {
          hour: '2026-12-02T19',
          integrationId: 'int_b',
          delivered: 2,
          failed: 1,
          lastSuccessAt: '2026-12-02T19:10:00.000Z',
          lastFailureAt: '2026-12-02T19:50:00.000Z',
        },
        {
          hour: '2026-12-02T20',
          integrationId: 'int_b',
          delivered: 1,
          lastSuccessAt: '2026-12-02T20:05:00.000Z',
        },
        {
          hour: '2026-12-02T20',
          integrationId: 'int_a',
          failed: 2,
          lastFailureAt: '2026-12-02T20:01:00.000Z',
        },
      ],
      ['int_c', 'int_a', 'int_c'],
    );
    expect(s).toEqual({
      accepted: 7,
      delivered: 3,
      failed: 3,
      retrying: 3,
      integrations: [
        {
          integrationId: 'int_a',
          delivered: 0,
          failed: 2,
          retrying: 1,
          lastFailureAt: '2026-12-02T20:01:00.000Z',
        },
        {
          integrationId: 'int_b',
          delivered: 3,
          failed: 1,
          retrying: 0,
          lastSuccessAt: '2026-12-02T20:05:00.000Z',
          lastFailureAt: '2026-12-02T19:50:00.000Z',
        },
        { integrationId: 'int_c', delivered: 0, failed: 0, retrying: 2 },
      ],
    });
  });

  it('reports health disabled only for an integration the hub disabled', () => {
    expect(healthOf(undefined)).toBe('ok');
    expect(healthOf({ id: 'i' })).toBe('ok');
    expect(healthOf({ health: 'ok' })).toBe('ok');
    expect(healthOf({ health: 'disabled' })).toBe('disabled');
  });
});
