import { describe, expect, it } from 'vitest';
import type { CommunicationLine } from '../../functions/adapters/communications.js';
import type { HubError } from '../../functions/core/errors.js';
import type { StoredIntegration } from '../../functions/core/integration.js';
import type { Delivery } from '../../functions/core/message.js';
import {
  apiuuidKey,
  checkExtension,
  checkFields,
  communicationStatus,
  effectiveDictionary,
  lineRoutes,
  lineStatus,
  MAX_LINES,
  newCommunicationId,
  parseReplicationPost,
  repeatsWithinPost,
  replicationCandidates,
} from '../../functions/core/replication.js';
import type { ThreeplError } from '../../functions/core/tokens.js';
import { filterAdmits } from '../../functions/usecases/filters.js';
import {
  acceptReplicationPost,
  CLAIM_STALE_MS,
  mapPool,
  type ReplicationPorts,
} from '../../functions/usecases/replication.js';

/** Seed 002's own example post, its curly quotes straightened. */
const SEED_EXAMPLE = {
  repLines: [
    {
      apiuuid: '87277F40-6954-42F0-B191-A4A1DE476326',
      apiid: 'PH',
      senderidentification: '3PL-name',
      nodes: [
        { name: 'pallet_#', value: '12345678' },
        { name: 'coolstore_c', value: '1ABC' },
      ],
    },
    {
      apiuuid: '4B50F6B8-3E9A-441B-A9CF-F585F8EE5F10',
      apiid: 'PD',
      senderidentification: '3PL-name',
      nodes: [
        { name: 'pallet_#', value: '12345678' },
        { name: 'grower_c', value: 'agriculture1' },
      ],
    },
    {
      apiuuid: '826B335E-49C1-4831-8916-F1A4F666008C',
      apiid: 'HI',
      senderidentification: '3PL-name',
      nodes: [
        { name: 'Pallet', value: '12345678' },
        { name: 'operation_date', value: '2023-06-26' },
      ],
    },
  ],
};

const refusal = (f: () => unknown): ThreeplError => {
  try {
    f();
  } catch (e) {
    return e as ThreeplError;
  }
  throw new Error('expected a refusal');
};

const line = (over: Record<string, unknown> = {}) => ({
  apiuuid: crypto.randomUUID(),
  apiid: 'OH',
  senderidentification: '3PL',
  nodes: [{ name: 'order_no', value: 'SO-1' }],
  ...over,
});

describe('replication post: shape', () => {
  it('accepts the seed’s example', () => {
    expect(parseReplicationPost(SEED_EXAMPLE).repLines).toHaveLength(3);
  });

  it('names the line and the field of every problem', () => {
    const e = refusal(() =>
      parseReplicationPost({
        repLines: [
          line(),
          line({ apiuuid: 'not-a-uuid' }),
          line({ apiid: 'XX' }),
          line({ nodes: [{ name: 'a', value: 7 }] }),
          line({ colour: 'red' }),
          line({ senderidentification: undefined }),
        ],
      }),
    );
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/^Incomplete input: repLines\[1\]\.apiuuid: must be a UUID/);
    expect(e.message).toContain('5 problems');
    expect(e.details.errors?.map((x) => [x.line, x.field])).toEqual([
      [1, 'apiuuid'],
      [2, 'apiid'],
      [3, 'nodes[0].value'],
      [4, '(line)'],
      [5, 'senderidentification'],
    ]);
    expect(e.details.errors?.[3]?.message).toBe('unknown property "colour"');
  });

  it('refuses a post over the line limit for its size alone, and an empty or odd body', () => {
    const many = { repLines: Array.from({ length: MAX_LINES + 1 }, () => line()) };
    expect(refusal(() => parseReplicationPost(many)).message).toContain(`at most ${MAX_LINES}`);
    expect(
      parseReplicationPost({ repLines: Array.from({ length: MAX_LINES }, () => line()) }).repLines,
    ).toHaveLength(MAX_LINES);
    for (const body of [{}, { repLines: [] }, [], null, 'x', { repLines: {} }]) {
      expect(refusal(() => parseReplicationPost(body)).status, JSON.stringify(body)).toBe(400);
    }
    const big = refusal(() =>
      parseReplicationPost({ repLines: [line({ nodes: [{ name: 'n', value: 'x'.repeat(5000) }] })] }),
    );
    expect(big.details.errors?.[0]).toMatchObject({ line: 0, field: 'nodes[0].value' });
  });
});

describe('field dictionary', () => {
  const dictionaries = new Map(
    (['PH', 'PD', 'HI', 'OH'] as const).map((a) => [a, effectiveDictionary(a)] as const),
  );
  const post = (l: Record<string, unknown>) => parseReplicationPost({ repLines: [line(), l] });

  it('ships with the seed’s fields; the pallet number is required', () => {
    checkFields(parseReplicationPost(SEED_EXAMPLE), dictionaries);
    const unknown = refusal(() =>
      checkFields(
        post(
          line({
            apiid: 'PH',
            nodes: [
              { name: 'pallet_#', value: '1' },
              { name: 'colour', value: 'x' },
            ],
          }),
        ),
        dictionaries,
      ),
    );
    expect(unknown.details.errors?.[0]).toMatchObject({ line: 1, field: 'nodes[1].name' });
    expect(unknown.message).toContain('"colour" is not a field of PH');
    const missing = refusal(() =>
      checkFields(
        post(line({ apiid: 'HI', nodes: [{ name: 'operation_date', value: '2023-06-26' }] })),
        dictionaries,
      ),
    );
    expect(missing.details.errors?.[0]).toMatchObject({ line: 1, field: 'nodes' });
    expect(missing.message).toContain('"Pallet"');
    const blank = refusal(() =>
      checkFields(post(line({ apiid: 'PD', nodes: [{ name: 'pallet_#', value: '  ' }] })), dictionaries),
    );
    expect(blank.message).toContain('missing or empty');
  });

  it('lets apiids without known fields take any name, but never the same name twice', () => {
    checkFields(post(line({ apiid: 'OH', nodes: [{ name: 'anything', value: '' }] })), dictionaries);
    const twice = refusal(() =>
      checkFields(
        post(
          line({
            apiid: 'OH',
            nodes: [
              { name: 'a', value: '1' },
              { name: 'a', value: '2' },
            ],
          }),
        ),
        dictionaries,
      ),
    );
    expect(twice.details.errors?.[0]).toMatchObject({ line: 1, field: 'nodes[1].name' });
  });

  it('is extended by the operator; an extended open apiid becomes closed', () => {
    const ph = effectiveDictionary('PH', { fields: ['variety_c'], required: ['variety_c'] });
    expect(ph).toEqual({
      apiid: 'PH',
      fields: ['pallet_#', 'coolstore_c', 'variety_c'],
      required: ['pallet_#', 'variety_c'],
      open: false,
    });
    const oh = effectiveDictionary('OH', { fields: ['order_no'], required: [] });
    expect(oh.open).toBe(false);
    const ext = new Map([...dictionaries, ['OH', oh] as const]);
    checkFields(post(line()), ext);
    expect(refusal(() => checkFields(post(line({ nodes: [{ name: 'x', value: '1' }] })), ext)).status).toBe(
      400,
    );
    expect(checkExtension('PH', { fields: [], required: ['nope'] })).toContain('nope');
    expect(checkExtension('PH', { fields: [], required: ['coolstore_c'] })).toBeUndefined();
  });
});

describe('routing and status', () => {
  const integration = (over: Partial<StoredIntegration>): StoredIntegration =>
    ({
      id: `int_${Math.random().toString(36).slice(2)}`,
      name: 'x',
      direction: 'Outbound',
      entity: 'replication',
      consentType: 'None',
      active: true,
      receiver: 'flex',
      maxAttempts: 4,
      delivery: { mode: 'push', url: 'https://example.com', format: 'raw' },
      ...over,
    }) as StoredIntegration;

  it('finds the integrations that carry a partner’s lines, by version = apiid', () => {
    const mine = integration({ sender: 'wms' });
    const anyone = integration({ sender: null });
    const star = integration({ entity: '*' });
    const candidates = replicationCandidates(
      [
        mine,
        anyone,
        star,
        integration({ sender: 'other' }),
        integration({ active: false }),
        integration({ direction: 'Inbound' }),
        integration({ entity: 'order' }),
      ],
      'wms',
    );
    expect(candidates).toEqual([mine, anyone, star]);
    const phOnly = integration({ version: 'PH' });
    const parsed = parseReplicationPost(SEED_EXAMPLE).repLines;
    expect(lineRoutes([phOnly], 'wms', parsed[0] as never)).toEqual([phOnly]);
    expect(lineRoutes([phOnly], 'wms', parsed[1] as never)).toEqual([]);
  });

  it('tells a line’s status from its deliveries', () => {
    const d = (status: Delivery['status'], lastError?: string): Delivery => ({
      messageId: 'm',
      integrationId: 'i',
      mode: 'push',
      status,
      attemptCount: 1,
      webhookId: 'w',
      ...(lastError ? { lastError } : {}),
    });
    expect(lineStatus({ status: 'duplicate' }, [])).toEqual({ status: 'duplicate' });
    expect(lineStatus({ status: 'received' }, [d('queued')])).toEqual({ status: 'received' });
    expect(lineStatus({ status: 'received' }, [d('delivered'), d('retrying')])).toEqual({
      status: 'received',
    });
    expect(lineStatus({ status: 'received' }, [d('delivered'), d('delivered')])).toEqual({
      status: 'delivered',
    });
    expect(
      lineStatus({ status: 'received' }, [d('delivered'), d('failed', 'HTTP 400 (not retryable)')]),
    ).toEqual({
      status: 'failed',
      errors: ['HTTP 400 (not retryable)'],
    });
    expect(communicationStatus([{ status: 'delivered' }, { status: 'duplicate' }])).toBe('delivered');
    expect(communicationStatus([{ status: 'delivered' }, { status: 'received' }])).toBe('received');
    expect(communicationStatus([{ status: 'failed' }, { status: 'received' }])).toBe('failed');
  });

  it('issues CommunicationIDs as upper-case UUIDv7s that sort by time', () => {
    const a = newCommunicationId(Date.parse('2026-01-01T00:00:00Z'));
    const b = newCommunicationId(Date.parse('2026-01-01T00:00:00.001Z'));
    expect(a).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-7[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(a < b).toBe(true);
  });

  it('marks repeats within a post without regard to case', () => {
    const lines = parseReplicationPost({
      repLines: [
        line({ apiuuid: 'AAAAAAAA-0000-4000-8000-000000000001' }),
        line(),
        line({ apiuuid: 'aaaaaaaa-0000-4000-8000-000000000001' }),
      ],
    }).repLines;
    expect([...repeatsWithinPost(lines)]).toEqual([[2, 0]]);
  });
});

describe('accepting a post (use case with in-memory ports)', () => {
  const flex = {
    id: 'int_flex',
    name: 'to flex',
    direction: 'Outbound',
    entity: 'replication',
    consentType: 'None',
    active: true,
    receiver: 'flex',
    sender: 'wms',
    maxAttempts: 4,
    delivery: { mode: 'push', url: 'https://flex.example', format: 'raw' },
  } as StoredIntegration;

  const memory = (integrations: StoredIntegration[], failStoreAt?: number) => {
    const claims = new Map<string, { communicationId: string; claimedAt?: number; messageIds?: string[] }>();
    const stored: { receiver: string; version: string; body: string }[] = [];
    const posts: { lines: readonly CommunicationLine[] }[] = [];
    const released: string[] = [];
    let stores = 0;
    const clock = { now: Date.parse('2026-11-23T10:00:00Z') };
    const ports: ReplicationPorts = {
      registry: { listIntegrations: async () => integrations },
      enablements: { forClient: async () => undefined },
      fields: { getExtensions: async () => new Map() },
      communications: {
        claimLine: async (partner, apiuuid, communicationId, now, staleBefore) => {
          const k = `${partner}#${apiuuid}`;
          const earlier = claims.get(k);
          if (earlier?.messageIds) return 'seen';
          if (earlier && (earlier.claimedAt ?? 0) >= staleBefore) return 'in-progress';
          claims.set(k, { communicationId, claimedAt: now });
          return 'claimed';
        },
        completeClaim: async (partner, apiuuid, _c, messageIds) => {
          const c = claims.get(`${partner}#${apiuuid}`);
          if (c) c.messageIds = messageIds;
        },
        releaseClaim: async (partner, apiuuid) => {
          released.push(apiuuid);
          claims.delete(`${partner}#${apiuuid}`);
        },
        putCommunication: async (_c, lines) => {
          posts.push({ lines });
        },
      },
      store: async (m) => {
        if (stores++ === failStoreAt) throw new Error('SQS is down');
        stored.push({ receiver: m.receiver, version: m.version, body: Buffer.from(m.body).toString() });
        return { id: m.id };
      },
      admits: filterAdmits,
      clock: { now: () => clock.now },
    };
    return { ports, claims, stored, posts, released, clock };
  };
  const seed = () => parseReplicationPost(structuredClone(SEED_EXAMPLE));

  it('hands each new line to the delivery engine and records repeats as duplicates', async () => {
    const m = memory([flex]);
    const first = await acceptReplicationPost(m.ports, 'wms', seed());
    expect(first).toMatchObject({ lines: 3, duplicates: 0 });
    expect(m.stored.map((s) => [s.receiver, s.version])).toEqual([
      ['flex', 'PH'],
      ['flex', 'PD'],
      ['flex', 'HI'],
    ]);
    expect(JSON.parse(m.stored[0]?.body ?? '')).toEqual(SEED_EXAMPLE.repLines[0]);
    const again = await acceptReplicationPost(m.ports, 'wms', seed());
    expect(again).toMatchObject({ lines: 3, duplicates: 3 });
    expect(again.communicationId).not.toBe(first.communicationId);
    expect(m.stored).toHaveLength(3);
    expect(m.posts[1]?.lines.map((l) => l.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    // Another partner's identical apiuuids are its own.
    const other = memory([{ ...flex, sender: null }]);
    other.claims.set('wms#87277f40-6954-42f0-b191-a4a1de476326', { communicationId: 'x' });
    expect((await acceptReplicationPost(other.ports, 'acme', seed())).duplicates).toBe(0);
  });

  it('sends a line to every receiving system, one message each', async () => {
    const m = memory([flex, { ...flex, id: 'int_b', receiver: 'archive' }, { ...flex, id: 'int_c' }]);
    await acceptReplicationPost(m.ports, 'wms', seed());
    expect(m.stored.filter((s) => s.version === 'PH').map((s) => s.receiver)).toEqual(['flex', 'archive']);
  });

  it('is 402 with nothing written when no integration carries the lines', async () => {
    for (const integrations of [
      [],
      [{ ...flex, sender: 'someone-else' }],
      [{ ...flex, active: false }],
      [{ ...flex, version: 'PH' }], // the PD and HI lines have no route
      [{ ...flex, filter: 'apiid = "LD"' }],
    ]) {
      const m = memory(integrations);
      const e = await acceptReplicationPost(m.ports, 'wms', seed()).catch((x: ThreeplError) => x);
      expect((e as ThreeplError).status).toBe(402);
      expect(m.claims.size + m.stored.length + m.posts.length).toBe(0);
    }
  });

  it('routes by filter over the line; a filter that fails counts as false (402 when nothing else carries the line), writing nothing', async () => {
    const m = memory([{ ...flex, filter: 'nodes[name="pallet_#" or name="Pallet"].value = "12345678"' }]);
    await acceptReplicationPost(m.ports, 'wms', seed());
    expect(m.stored).toHaveLength(3);
    const broken = memory([{ ...flex, filter: '$error("boom")' }]);
    const e = await acceptReplicationPost(broken.ports, 'wms', seed()).catch((x: Error) => x);
    expect((e as ThreeplError).status).toBe(402);
    expect(broken.claims.size + broken.stored.length).toBe(0);
  });

  it('gives back the claim of a line it could not store, so the 3PL’s retry processes it', async () => {
    const m = memory([flex], 1);
    await expect(acceptReplicationPost(m.ports, 'wms', seed())).rejects.toThrow('SQS is down');
    expect(m.released).toEqual(['4b50f6b8-3e9a-441b-a9cf-f585f8ee5f10']);
    expect(m.posts).toHaveLength(0);
    const retry = await acceptReplicationPost(m.ports, 'wms', seed());
    const statuses = m.posts[0]?.lines.map((l) => l.status);
    expect(statuses?.[1]).toBe('received');
    expect(retry.duplicates).toBe(statuses?.filter((s) => s === 'duplicate').length);
    expect(new Set(m.stored.map((s) => s.version))).toEqual(new Set(['PH', 'PD', 'HI']));
  });

  it('refuses a post as retryable while an earlier post is storing one of its lines, and takes the line over once that claim is stale', async () => {
    const m = memory([flex]);
    // An earlier post claimed the second line and died (or is still running) before storing it.
    const second = apiuuidKey(SEED_EXAMPLE.repLines[1]?.apiuuid ?? '');
    m.claims.set(`wms#${second}`, { communicationId: 'cm_earlier', claimedAt: m.clock.now - 1_000 });
    const e = await acceptReplicationPost(m.ports, 'wms', seed()).catch((x: HubError) => x);
    expect(e).toMatchObject({ status: 503, code: 'line_in_progress' });
    expect(m.stored.map((s) => s.version)).not.toContain('PD');
    expect(m.posts).toHaveLength(0);
    // Not a duplicate of nothing: once the claim is stale, the 3PL's retry stores the line.
    m.clock.now += CLAIM_STALE_MS;
    const retry = await acceptReplicationPost(m.ports, 'wms', seed());
    expect(m.posts[0]?.lines.map((l) => l.status)[1]).toBe('received');
    expect(retry.lines).toBe(3);
    expect(new Set(m.stored.map((s) => s.version))).toEqual(new Set(['PH', 'PD', 'HI']));
  });
});

describe('mapPool', () => {
  it('keeps order, bounds concurrency, and starts nothing new after a failure', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5 * (8 - n)));
      inFlight--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(most).toBe(3);
    const started: number[] = [];
    await expect(
      mapPool([0, 1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        if (n === 1) throw new Error('stop');
        await new Promise((r) => setTimeout(r, 10));
      }),
    ).rejects.toThrow('stop');
    expect(started).toEqual([0, 1]);
  });
});
