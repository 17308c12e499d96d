import { validateHeaderValue } from 'node:http';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { isoToLocalInput, localInputToIso, pretty, prettyXml } from '../../console/src/format.js';
import { integrationProblems } from '../../console/src/rules.js';
import { validateHeaderValue as shim } from '../../console/src/shims/node-http.js';
import { IntegrationInputSchema } from '../../functions/core/integration.js';
import { checkIntegrationRules } from '../../functions/core/integration-rules.js';
import { parseValue } from '../../functions/core/parse.js';

/** What of the console runs without a browser: its stand-in for node:http, its formatting, its rules. */

const throws = (f: () => void) => {
  try {
    f();
    return false;
  } catch {
    return true;
  }
};

describe('the console’s node:http stand-in', () => {
  it('accepts and refuses exactly the header values Node does', () => {
    for (let c = 0; c <= 0x2100; c++) {
      const v = `a${String.fromCharCode(c)}b`;
      expect(
        throws(() => shim('x-check', v)),
        `U+${c.toString(16)}`,
      ).toBe(throws(() => validateHeaderValue('x-check', v)));
    }
  });
});

describe('the console’s formatting', () => {
  it('pretty-prints JSON and XML, and leaves other text as it is', () => {
    expect(pretty('{"a":[1,2]}', 'application/json')).toEqual({
      text: '{\n  "a": [\n    1,\n    2\n  ]\n}',
      kind: 'json',
    });
    expect(prettyXml('<?xml version="1.0"?><a><b x="1">t</b><c/></a>')).toBe(
      '<?xml version="1.0"?>\n<a>\n  <b x="1">t</b>\n  <c/>\n</a>',
    );
    expect(pretty('<a><b>1</b></a>', 'application/xml').kind).toBe('xml');
    expect(pretty('plain words', 'text/plain')).toEqual({ text: 'plain words', kind: 'text' });
    expect(pretty('{not json', 'application/json').kind).toBe('text');
  });

  it('turns a local date-time field into an instant and back', () => {
    const iso = localInputToIso('2026-12-02T15:04') as string;
    expect(isoToLocalInput(iso)).toBe('2026-12-02T15:04');
    expect(localInputToIso('')).toBeUndefined();
  });
});

describe('the console’s integration rules are the API’s', () => {
  const base = {
    name: 'orders',
    direction: 'Outbound',
    entity: 'order',
    consentType: 'None',
    receiver: 'wms',
    delivery: { mode: 'push', url: 'https://wms.example.com/in', format: 'raw' },
  };
  /** What the API answers for the same body: its 400's message and field. */
  const api = (draft: Record<string, unknown>) => {
    try {
      checkIntegrationRules(parseValue(IntegrationInputSchema, draft), {
        allowLoopback: true,
        parseExpression: jsonata,
      });
      return {};
    } catch (e) {
      return { [(e as { field?: string }).field ?? '_']: (e as Error).message };
    }
  };

  it('names the field the API names, in the API’s words', () => {
    for (const draft of [
      base,
      { ...base, maxAttempts: 30 },
      { ...base, continuous: true },
      { ...base, filter: 'lines[' },
      { ...base, receiver: undefined },
      { ...base, delivery: { ...base.delivery, headers: { 'content-type': 'x' } } },
      { ...base, delivery: { ...base.delivery, retrySchedule: [60] } },
      { ...base, surprise: true },
    ]) {
      const mine = integrationProblems(draft);
      const theirs = api(draft);
      expect(Object.keys(mine), JSON.stringify(draft)).toEqual(Object.keys(theirs));
      const [field] = Object.keys(theirs);
      if (field) expect(mine[field]).toBe(theirs[field]);
    }
  });
});
