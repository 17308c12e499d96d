import { beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../../functions/core/errors.js';
import { IntegrationInputSchema } from '../../functions/core/integration.js';
import {
  type Entity,
  fromOdataBody,
  loadFilterParser,
  metadataXml,
  nextLinkQuery,
  ODataInputSchema,
  PROPERTIES,
  parseQueryOptions,
  parseResource,
  sortEntities,
  toEntity,
  translateFilter,
} from '../../functions/core/odata.js';

/**
 * The contract's list (shared/API.md), in its order, with the field its health section adds
 * (autoDisableAfterHours) after the listed fields of the schema, before the two times.
 */
const CONTRACT = [
  'Id',
  'Name',
  'Direction',
  'Entity',
  'ConsentType',
  'Active',
  'Notes',
  'ElementId',
  'ActionId',
  'Filter',
  'DefaultSchedule',
  'System',
  'MaxAttempts',
  'IncludeUpdate',
  'Continuous',
  'Parallel',
  'BatchSize',
  'Managed',
  'ClientScheduleEditable',
  'Receiver',
  'Sender',
  'Version',
  'Delivery',
  'Inbound',
  'AutoDisableAfterHours',
  'CreatedAt',
  'UpdatedAt',
];

const integration = (over: Record<string, unknown> = {}) =>
  ({
    ...IntegrationInputSchema.parse({
      name: 'n',
      direction: 'Outbound',
      entity: 'invoice',
      consentType: 'None',
      receiver: 'wms',
      delivery: { mode: 'pull' },
    }),
    id: 'int_1',
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-02T10:00:00.000Z',
    ...over,
  }) as Parameters<typeof toEntity>[0];

const entity = (over: Record<string, unknown> = {}): Entity => ({
  ...toEntity(integration()),
  ...over,
});

/** The HubError a call throws (its status, code and field). */
function refusal(f: () => unknown): { status: number; code: string; field?: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof HubError) return { status: e.status, code: e.code, field: e.field, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('the OData names', () => {
  it('are the schema’s fields in PascalCase, in the contract’s order, Inbound included', () => {
    expect(PROPERTIES).toEqual(CONTRACT);
  });

  it('puts every property in an entity, null when unset, nested objects under REST names, no secret', () => {
    const e = toEntity({ ...integration(), secret: 'whsec_x' } as Parameters<typeof toEntity>[0]);
    expect(Object.keys(e)).toEqual(CONTRACT);
    expect(e).toMatchObject({ Id: 'int_1', Sender: null, Notes: null, Inbound: null, MaxAttempts: 4 });
    expect(e.Delivery).toEqual({ mode: 'pull', format: 'raw' });
    expect(JSON.stringify(e)).not.toContain('whsec_x');
  });

  it('reads bodies under PascalCase names with the REST schema’s rules and defaults', () => {
    const body = ODataInputSchema.parse({
      Name: 'x',
      Direction: 'Inbound',
      Entity: 'customer',
      ConsentType: 'None',
    });
    expect(fromOdataBody(body)).toMatchObject({
      name: 'x',
      direction: 'Inbound',
      maxAttempts: 4,
      active: true,
    });
    expect(ODataInputSchema.safeParse({ name: 'x' }).success).toBe(false);
  });

  it('describes every property in $metadata', () => {
    const xml = metadataXml();
    for (const p of CONTRACT) expect(xml).toContain(`<Property Name="${p}" `);
    expect(xml).toContain('<Property Name="Delivery" Type="Crossdock.Delivery" Nullable="true"/>');
    expect(xml).toContain('<ComplexType Name="Delivery" OpenType="true">');
  });
});

describe('$filter translation', () => {
  // The parser is loaded on demand (the OData use case does this before a $filter).
  beforeAll(loadFilterParser);

  const rows = [
    entity({ Id: 'a', Name: 'alpha', MaxAttempts: 3, Active: true, Sender: null }),
    entity({ Id: 'b', Name: "o'brien", MaxAttempts: 4, Active: false, Sender: 'erp' }),
    entity({ Id: 'c', Name: 'gamma', MaxAttempts: 10, Active: true, Sender: 'erp', Delivery: null }),
  ];
  const ids = (filter: string) =>
    rows
      .filter(translateFilter(filter))
      .map((r) => r.Id)
      .join('');

  it('compares numbers, strings, booleans and null with every operator', () => {
    expect(ids('MaxAttempts eq 4')).toBe('b');
    expect(ids('MaxAttempts ne 4')).toBe('ac');
    expect(ids('MaxAttempts gt 3')).toBe('bc');
    expect(ids('MaxAttempts ge 4')).toBe('bc');
    expect(ids('MaxAttempts lt 10')).toBe('ab');
    expect(ids('MaxAttempts le 3')).toBe('a');
    expect(ids('3 lt MaxAttempts')).toBe('bc');
    expect(ids("Name eq 'o''brien'")).toBe('b');
    expect(ids("Name gt 'b'")).toBe('bc');
    expect(ids('Active eq true')).toBe('ac');
    expect(ids('Active')).toBe('ac');
    expect(ids('Sender eq null')).toBe('a');
    expect(ids('Sender ne null')).toBe('bc');
    expect(ids('null eq Sender')).toBe('a');
    expect(ids('Delivery eq null')).toBe('c');
    expect(ids('MaxAttempts gt 3.5')).toBe('bc');
  });

  it('an ordering comparison with null is false', () => {
    expect(ids("Sender gt 'a'")).toBe('bc');
    expect(ids('Notes lt null')).toBe('');
  });

  it('combines with and, or, not and parentheses, with OData’s precedence', () => {
    expect(ids('MaxAttempts eq 3 or MaxAttempts eq 10 and Active eq false')).toBe('a');
    expect(ids('(MaxAttempts eq 3 or MaxAttempts eq 10) and Active eq true')).toBe('ac');
    expect(ids('not (Active eq true)')).toBe('b');
    expect(ids('not Active')).toBe('b');
    expect(ids("not (contains(Name,'a') and MaxAttempts gt 3)")).toBe('ab');
  });

  it('supports contains, startswith and endswith', () => {
    expect(ids("contains(Name,'mm')")).toBe('c');
    expect(ids("startswith(Name,'o''')")).toBe('b');
    expect(ids("endswith(Name,'a')")).toBe('ac');
    expect(ids("contains(Sender,'er')")).toBe('bc');
  });

  it('compares DateTimeOffset literals with CreatedAt and UpdatedAt as instants', () => {
    expect(ids('CreatedAt gt 2026-03-01T09:00:00Z')).toBe('abc');
    expect(ids('CreatedAt lt 2026-03-01T10:00:00+01:00')).toBe('');
    expect(ids('UpdatedAt eq 2026-03-02T10:00:00.000Z')).toBe('abc');
  });

  it('refuses broken filters, unknown properties and what it does not support with a 400', () => {
    for (const f of ['Name eq', "Name eq 'x' and", '(Name eq 1', 'Name eq 1 2', '', "Name eq 'unclosed"]) {
      expect(
        refusal(() => translateFilter(f)),
        f,
      ).toMatchObject({ status: 400, code: 'invalid_filter' });
    }
    expect(refusal(() => translateFilter("Colour eq 'red'"))).toMatchObject({
      status: 400,
      code: 'unknown_property',
      field: 'Colour',
    });
    for (const f of [
      "MaxAttempts eq 'x'",
      'Active gt false',
      "Delivery eq 'x'",
      "Delivery/mode eq 'push'",
      "tolower(Name) eq 'x'",
      'length(Name) eq 3',
      'MaxAttempts add 1 eq 4',
      "contains(MaxAttempts,'1')",
      "CreatedAt gt '2026-01-01'",
      'Id eq 5d3f2b18-3a2b-4c1d-9e8f-0a1b2c3d4e5f',
      'MaxAttempts',
    ]) {
      expect(
        refusal(() => translateFilter(f)),
        f,
      ).toMatchObject({ status: 400, code: 'invalid_filter' });
    }
  });

  it('bounds the work: long or deeply nested filters are refused', () => {
    expect(refusal(() => translateFilter(`Name eq '${'x'.repeat(5000)}'`)).code).toBe('invalid_filter');
    const deep = `${'('.repeat(200)}Active${')'.repeat(200)}`;
    expect(refusal(() => translateFilter(deep)).code).toBe('invalid_filter');
  });
});

describe('query options, keys, order and paging', () => {
  it('reads $orderby, $top, $skip, $select and $count, and refuses what is wrong or unsupported', () => {
    const o = parseQueryOptions({
      $orderby: 'Name desc, MaxAttempts',
      $top: '5',
      $skip: '10',
      $select: 'Id,Name',
      $count: 'true',
    });
    expect(o).toMatchObject({
      orderby: [
        { property: 'Name', desc: true },
        { property: 'MaxAttempts', desc: false },
      ],
      top: 5,
      skip: 10,
      select: ['Id', 'Name'],
      count: true,
    });
    expect(parseQueryOptions({ $select: '*' }).select).toBeUndefined();
    expect(parseQueryOptions({ custom: 'x' })).toMatchObject({ skip: 0, count: false });
    expect(refusal(() => parseQueryOptions({ $top: '1001' }))).toMatchObject({ status: 400 });
    expect(parseQueryOptions({ $top: '1000' }).top).toBe(1000);
    for (const q of [
      { $top: '1e3' },
      { $skip: '-1' },
      { $count: '1' },
      { $orderby: 'Name up' },
      { $orderby: 'Delivery' },
      { $select: 'Name,,Id' },
    ])
      expect(refusal(() => parseQueryOptions(q)).status, JSON.stringify(q)).toBe(400);
    expect(refusal(() => parseQueryOptions({ $orderby: 'Colour' }))).toMatchObject({
      code: 'unknown_property',
      field: 'Colour',
    });
    expect(refusal(() => parseQueryOptions({ $expand: 'Delivery' })).status).toBe(501);
    expect(refusal(() => parseQueryOptions({ $whatever: '1' })).status).toBe(400);
  });

  it('parses keys: quoted (with doubled quotes), bare, named; others 400, other resources 404', () => {
    expect(parseResource("Integrations('int_1')")).toEqual({ kind: 'entity', id: 'int_1' });
    expect(parseResource("Integrations('a''b')")).toEqual({ kind: 'entity', id: "a'b" });
    expect(parseResource('Integrations(int_1)')).toEqual({ kind: 'entity', id: 'int_1' });
    expect(parseResource("Integrations(Id='int_1')")).toEqual({ kind: 'entity', id: 'int_1' });
    expect(parseResource('Integrations')).toEqual({ kind: 'collection' });
    expect(parseResource('$metadata')).toEqual({ kind: 'metadata' });
    for (const s of [
      "Integrations('x",
      "Integrations('')",
      'Integrations()',
      "Integrations('a')x",
      'Integrations(a b)',
      "Integrations('a'b')",
    ])
      expect(
        refusal(() => parseResource(s)),
        s,
      ).toMatchObject({ status: 400, code: 'invalid_key' });
    expect(refusal(() => parseResource('Partners')).status).toBe(404);
  });

  it('orders by several keys, nulls first ascending, Id breaking ties', () => {
    const rows = [
      entity({ Id: 'c', Name: 'x', Notes: null }),
      entity({ Id: 'a', Name: 'y', Notes: 'n' }),
      entity({ Id: 'b', Name: 'x', Notes: 'm' }),
    ];
    const ids = (o: { property: string; desc: boolean }[]) =>
      sortEntities(rows, o)
        .map((r) => r.Id)
        .join('');
    expect(ids([])).toBe('abc');
    expect(ids([{ property: 'Name', desc: false }])).toBe('bca');
    expect(ids([{ property: 'Name', desc: true }])).toBe('abc');
    expect(ids([{ property: 'Notes', desc: false }])).toBe('cba');
    expect(ids([{ property: 'Notes', desc: true }])).toBe('abc');
  });

  it('moves $skip and $top on by a page in the next link, keeping the other options', () => {
    expect(nextLinkQuery({ $filter: "Name eq 'a b'", $skip: '5', $top: '250' }, 5, 250)).toBe(
      "$filter=Name%20eq%20'a%20b'&$skip=105&$top=150",
    );
    expect(nextLinkQuery({ $count: 'true' }, 0, undefined)).toBe('$count=true&$skip=100');
  });
});
