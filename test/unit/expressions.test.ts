import { afterAll, describe, expect, it } from 'vitest';
import { ExpressionRunner, MAX_RESULT_CHARS } from '../../functions/core/expressions.js';

/** The budgeted evaluator itself: its worker thread, its deadline, and what queues behind an overrun. */
describe('expression runner', () => {
  const runner = new ExpressionRunner();
  afterAll(() => runner.close());
  const catastrophic = ['$contains(name, /^(a+)+$/)', { name: `${'a'.repeat(40)}!` }] as const;

  it('evaluates, and shapes the result as the caller asks', async () => {
    expect(await runner.evaluate('a + 1', { a: 1 })).toEqual({ ok: true, value: 2 });
    expect(await runner.evaluate('a', { a: 'yes' }, 'boolean')).toEqual({ ok: true, value: false });
    expect(await runner.evaluate('a = 1', { a: 1 }, 'boolean')).toEqual({ ok: true, value: true });
    expect(await runner.evaluate('{"No": a}', { a: '01' }, 'xml')).toEqual({
      ok: true,
      value: '<No>01</No>',
    });
    expect(await runner.evaluate('missing', {}, 'json')).toEqual({ ok: true, value: 'null' });
  });

  it('answers the evaluations queued behind an overrun, each in its own budget', async () => {
    const [source, input] = catastrophic;
    const results = await Promise.all([
      runner.evaluate(source, input),
      runner.evaluate('1 + 1', {}),
      runner.evaluate(source, input),
      runner.evaluate('2 + 2', {}),
    ]);
    expect(results.map((r) => (r.ok ? r.value : r.kind))).toEqual(['timeout', 2, 'timeout', 4]);
    // And the runner goes on with a fresh worker.
    expect(await runner.evaluate('3 + 3', {})).toEqual({ ok: true, value: 6 });
  });

  it('reports runaway recursion as depth, a heap-exhausting call as memory or timeout, and goes on', async () => {
    const depth = await runner.evaluate('( $f := function($n){ 1 + $f($n+1) }; $f(0) )', {});
    expect(depth).toMatchObject({ ok: false, kind: 'depth', code: 'D1011' });
    const heavy = await runner.evaluate('$count($sort([1..1000000]))', {});
    expect(heavy.ok).toBe(false);
    expect(['memory', 'timeout']).toContain(heavy.ok ? undefined : heavy.kind);
    expect(await runner.evaluate('"still here"', {})).toEqual({ ok: true, value: 'still here' });
  });

  it('refuses a result larger than the cap, inside the budget', async () => {
    // A small cap, so the test checks the cap and not how fast this machine builds 16 MB.
    const small = new ExpressionRunner({ maxResultChars: 1000 });
    try {
      const r = await small.evaluate('$pad("", 1010)', {}, 'json');
      expect(r).toMatchObject({ ok: false, kind: 'error' });
      expect(r.ok ? '' : r.message).toMatch(/over the 1000 allowed/);
      expect(await small.evaluate('$pad("", 900)', {}, 'json')).toMatchObject({ ok: true });
    } finally {
      await small.close();
    }
    expect(MAX_RESULT_CHARS).toBe(16 * 1024 * 1024);
  });

  it('reports an expression that throws on the data as an error with jsonata’s code', async () => {
    const r = await runner.evaluate('$number(qty) > 1', { qty: 'abc' }, 'boolean');
    expect(r).toMatchObject({ ok: false, kind: 'error', code: 'D3030' });
  });
});
