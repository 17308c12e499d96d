import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../functions/adapters/messages.js';
import type { StoredIntegration } from '../../functions/core/integration.js';
import type { Randomness } from '../../functions/core/random.js';
import { sha256Hex } from '../../functions/core/secrets.js';
import { retryFailedDeliveries } from '../../functions/usecases/admin-messages.js';
import { rotateSecret } from '../../functions/usecases/integrations.js';
import { issueKey } from '../../functions/usecases/partners.js';

/** The operator's use cases with time and randomness fixed, over in-memory ports. */

const NOW = Date.parse('2026-12-01T10:00:00Z');
const clock = { now: () => NOW };
let n = 0;
const random: Randomness = {
  id: (prefix) => `${prefix}_${++n}`,
  apiKey: () => 'cdk_fixed',
  signingSecret: () => `whsec_${++n}`,
};

describe('issueKey', () => {
  it('stores only the key’s SHA-256 and shows the key once, with all scopes unless some are named', async () => {
    const added: [unknown, string][] = [];
    const registry = {
      getPartner: async (code: string) => (code === 'wms' ? { code, name: 'W', createdAt: '' } : undefined),
      addKey: async (key: unknown, hash: string) => void added.push([key, hash]),
    } as never;
    const shown = await issueKey({ registry, clock, random }, 'wms', { mobileUser: 'u1' });
    expect(shown).toEqual({
      id: expect.stringMatching(/^key_/),
      scopes: ['messages', 'erp', 'device', 'entities'],
      mobileUser: 'u1',
      createdAt: '2026-12-01T10:00:00.000Z',
      key: 'cdk_fixed',
    });
    expect(added[0]?.[1]).toBe(sha256Hex('cdk_fixed'));
    expect(JSON.stringify(added[0]?.[0])).not.toContain('cdk_fixed');
    await expect(issueKey({ registry, clock, random }, 'ghost', {})).rejects.toMatchObject({ status: 404 });
  });
});

describe('rotateSecret', () => {
  it('signs with a new secret and keeps the previous one until the overlap ends', async () => {
    const stored = { id: 'int_1', name: 'i', secret: 'whsec_old' } as StoredIntegration;
    let replaced: StoredIntegration | undefined;
    const registry = {
      getIntegration: async () => stored,
      replaceIntegration: async (_p: StoredIntegration, next: StoredIntegration) => {
        replaced = next;
        return true;
      },
    } as never;
    const r = await rotateSecret({ registry, clock, random }, 'int_1', 60);
    expect(r).toEqual({ secret: replaced?.secret, previousValidUntil: '2026-12-01T10:01:00.000Z' });
    expect(replaced).toMatchObject({ previousSecret: 'whsec_old', updatedAt: '2026-12-01T10:00:00.000Z' });
  });
});

describe('retryFailedDeliveries', () => {
  const record = {
    message: { id: 'msg_1' },
    deliveries: [
      { integrationId: 'int_push', mode: 'push', status: 'failed', round: 1 },
      { integrationId: 'int_pull', mode: 'pull', status: 'failed' },
      { integrationId: 'int_gone', mode: 'push', status: 'failed' },
      { integrationId: 'int_done', mode: 'push', status: 'delivered' },
    ],
  } as unknown as MessageRecord;
  const registry = {
    getIntegration: async (id: string) => (id === 'int_gone' ? undefined : { id, parallel: false }),
  } as never;

  it('starts failed push deliveries of existing integrations again, in a new round', async () => {
    const queued: unknown[] = [];
    const messages = {
      getRecord: async () => record,
      restartDelivery: async () => true,
      updateDelivery: async () => undefined,
    } as never;
    const queue = { enqueue: async (jobs: unknown[]) => void queued.push(...jobs) } as never;
    expect(await retryFailedDeliveries({ messages, registry, queue }, 'msg_1')).toEqual(['int_push']);
    expect(queued).toEqual([{ messageId: 'msg_1', integrationId: 'int_push', ordered: true, round: 2 }]);
  });

  it('puts them back to failed when the jobs cannot be queued, so the next retry takes them', async () => {
    const updates: unknown[] = [];
    const messages = {
      getRecord: async () => record,
      restartDelivery: async () => true,
      updateDelivery: async (...args: unknown[]) => void updates.push(args),
    } as never;
    const queue = {
      enqueue: async () => {
        throw new Error('SQS is down');
      },
    } as never;
    await expect(retryFailedDeliveries({ messages, registry, queue }, 'msg_1')).rejects.toThrow(
      'SQS is down',
    );
    expect(updates).toEqual([
      ['msg_1', 'int_push', { status: 'failed', lastError: 'The retry could not be queued; try again.' }],
    ]);
  });
});
