import { describe, expect, it } from 'vitest';
import {
  type Call,
  functionsOf,
  generateDay,
  LAYOUTS,
  routeKey,
  SCENARIO,
  simulate,
  widenedGrants,
} from '../../bench/coldstarts-model.js';
import { routes } from '../../functions/routes.js';

const call = (at: number, durationMs = 50): Call => ({
  at,
  target: { kind: 'route', key: 'GET /v1/inbox' },
  durationMs,
});
const oneFunction = () => 'Fn';
const MINUTE = 60_000;

describe('the cold-start model', () => {
  it('starts an environment for the first request and reuses it within the reclaim time', () => {
    const r = simulate([call(0), call(4 * MINUTE)], oneFunction, () => 200, 5 * MINUTE);
    expect(r.colds).toBe(1);
    expect(r.added).toEqual([200, 0]);
  });

  it('reclaims an environment idle for the reclaim time', () => {
    const r = simulate([call(0), call(6 * MINUTE)], oneFunction, () => 200, 5 * MINUTE);
    expect(r.colds).toBe(2);
  });

  it('starts a second environment for a request that arrives while the first is busy (no queueing)', () => {
    // The first request is still in its init (200 ms) plus handler (50 ms) when the second arrives.
    const r = simulate([call(0), call(100), call(1000)], oneFunction, () => 200, 5 * MINUTE);
    expect(r.colds).toBe(2);
    expect(r.peakEnvironments.get('Fn')).toBe(2);
  });

  it('generates the same day for the same seed, calling only routes of the route table', () => {
    const a = generateDay();
    expect(generateDay()).toEqual(a);
    expect(generateDay({ ...SCENARIO, seed: SCENARIO.seed + 1 })).not.toEqual(a);
    const known = new Set(routes.map(routeKey));
    for (const c of a) if (c.target.kind === 'route') expect(known).toContain(c.target.key);
  });

  it('groups every route in each layout, and widens no grant when each handler keeps its function', () => {
    for (const layout of LAYOUTS) {
      const functions = functionsOf(layout);
      for (const r of routes) expect(functions.get(layout.functionOf(r))).toContain(r.handler.file);
    }
    const [perRoute, perFace] = LAYOUTS;
    expect(perRoute && widenedGrants(perRoute).grantsWidened).toBe(0);
    expect(perFace && widenedGrants(perFace).grantsWidened).toBeGreaterThan(0);
  });
});
