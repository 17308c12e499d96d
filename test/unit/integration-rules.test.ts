import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { IntegrationInputSchema, IntegrationPatchSchema } from '../../functions/core/integration.js';
import { checkIntegrationRules } from '../../functions/core/integration-rules.js';
import { matchesRoute } from '../../functions/core/routing.js';

const valid = {
  name: 'orders',
  direction: 'Outbound',
  entity: 'order',
  consentType: 'None',
  receiver: 'wms',
  delivery: { mode: 'push', url: 'https://wms.example.com/in' },
};
const parse = (over: Record<string, unknown> = {}) => IntegrationInputSchema.parse({ ...valid, ...over });
const ctx = { allowLoopback: false, parseExpression: jsonata };

describe('integration rules (seed 004 fields)', () => {
  it('applies FinanceKey defaults', () => {
    expect(parse()).toMatchObject({
      active: true,
      maxAttempts: 4,
      batchSize: 10,
      includeUpdate: false,
      continuous: false,
    });
    expect(() => checkIntegrationRules(parse(), ctx)).not.toThrow();
  });

  it('parses expressions only with the parser it is given, which only an integration with one needs', () => {
    // Without expressions no parser is needed: the API loads jsonata only for integrations that have one.
    expect(() => checkIntegrationRules(parse(), { allowLoopback: false })).not.toThrow();
    expect(() => checkIntegrationRules(parse({ filter: 'total > 1' }), { allowLoopback: false })).toThrow(
      /no parser/,
    );
    expect(() => checkIntegrationRules(parse({ filter: 'lines[' }), ctx)).toThrow(
      /filter is not a valid JSONata/,
    );
    const inbound = {
      direction: 'Inbound',
      entity: 'invoice',
      receiver: 'erp',
      delivery: undefined,
      inbound: { template: '{"id": ' },
    };
    expect(() => checkIntegrationRules(parse(inbound), ctx)).toThrow(
      /inbound.template is not a valid JSONata/,
    );
  });

  it('allows continuous only with includeUpdate on an active Outbound integration', () => {
    expect(() =>
      checkIntegrationRules(parse({ includeUpdate: true, continuous: true, defaultSchedule: 15 }), ctx),
    ).not.toThrow();
    // The schedule is how often a still-eligible row goes again: continuous without one is refused.
    expect(() => checkIntegrationRules(parse({ includeUpdate: true, continuous: true }), ctx)).toThrow(
      /continuous needs a defaultSchedule/,
    );
    expect(() => checkIntegrationRules(parse({ continuous: true }), ctx)).toThrow(/continuous/);
    expect(() => checkIntegrationRules(parse({ includeUpdate: true, active: false }), ctx)).toThrow(
      /includeUpdate/,
    );
  });

  it('needs a receiver and a delivery on Outbound, a URL for push and notify, none for pull', () => {
    const { receiver: _r, ...noReceiver } = valid;
    expect(() => checkIntegrationRules(IntegrationInputSchema.parse(noReceiver), ctx)).toThrow(/receiver/);
    expect(() => checkIntegrationRules(parse({ delivery: { mode: 'notify' } }), ctx)).toThrow(/url/);
    expect(() => checkIntegrationRules(parse({ delivery: { mode: 'pull' } }), ctx)).not.toThrow();
    expect(() =>
      checkIntegrationRules(parse({ delivery: { mode: 'pull', url: 'https://x.example' } }), ctx),
    ).toThrow(/pull/);
  });

  it('does not apply defaults to a PATCH, so absent fields keep their values', () => {
    expect(IntegrationPatchSchema.parse({ active: false })).toEqual({ active: false });
    expect(z.toJSONSchema(IntegrationPatchSchema).required).toBeUndefined();
  });

  it('routes by receiver, doctype (or *), and the sender and version it sets', () => {
    const m = { sender: 'erp', receiver: 'wms', doctype: 'order', version: '2' };
    expect(matchesRoute(parse(), m)).toBe(true);
    expect(matchesRoute(parse({ entity: '*' }), { ...m, doctype: 'invoice' })).toBe(true);
    expect(matchesRoute(parse(), { ...m, doctype: 'invoice' })).toBe(false);
    expect(matchesRoute(parse({ sender: 'other' }), m)).toBe(false);
    expect(matchesRoute(parse({ version: '1' }), m)).toBe(false);
    expect(matchesRoute(parse({ active: false }), m)).toBe(false);
    expect(matchesRoute(parse({ direction: 'Inbound' }), m)).toBe(false);
    expect(matchesRoute(parse(), { ...m, receiver: 'tms' })).toBe(false);
  });
});
