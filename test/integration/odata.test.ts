import odataQuery from 'odata-query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ODATA_JSON, PROPERTIES } from '../../functions/core/odata.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * odata-query ships one declaration file for both its builds, typed as CommonJS; under Node's ESM
 * loader its default export is the function itself.
 */
const buildQuery = ((odataQuery as unknown as { default?: unknown }).default ??
  odataQuery) as typeof odataQuery.default;

/**
 * The OData face of the registry (seed 004's wire format), over HTTP against the local hub. Queries
 * are built with odata-query, an OData v4 client's query builder, as a FinanceKey client would.
 */
describe('OData face of the registry', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    for (const code of ['fk', 'wms', 'erp']) await hub.admin('POST', '/admin/partners', { code, name: code });
  });
  afterAll(() => hub?.stop());

  type Answer = Awaited<ReturnType<TestHub['partner']>>;
  /** An OData request with the admin key; the answer is checked against its route's declared schema. */
  const od = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> =>
    hub.partner(method, encodeURI(path).replace(/%25/g, '%'), undefined, {
      headers: {
        authorization: `Bearer ${hub.adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const list = (q: Parameters<typeof buildQuery>[0]) => od('GET', `/odata/Integrations${buildQuery(q)}`);
  const key = (id: string) => `/odata/Integrations${buildQuery({ key: id })}`;
  const snapshot = async () => (await hub.admin('GET', '/admin/integrations')).json.integrations;

  const outbound = (name: string, extra: Record<string, unknown> = {}) => ({
    Name: name,
    Direction: 'Outbound',
    Entity: 'invoice',
    ConsentType: 'None',
    Receiver: 'wms',
    Delivery: { mode: 'pull' },
    ...extra,
  });

  /** An OData error: the status, OData's body shape and content type, and the target where named. */
  const expectError = (r: Answer, status: number, code?: string, target?: string) => {
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    expect(r.headers.get('content-type')).toBe(ODATA_JSON);
    expect(Object.keys(r.json)).toEqual(['error']);
    expect(typeof r.json.error.message).toBe('string');
    if (code) expect(r.json.error.code).toBe(code);
    if (target) expect(r.json.error.target).toBe(target);
  };

  it('answers the service document and $metadata (CSDL with every property, key Id)', async () => {
    const root = await od('GET', '/odata');
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toBe(ODATA_JSON);
    expect(root.headers.get('odata-version')).toBe('4.0');
    expect(root.json).toEqual({
      '@odata.context': `${hub.url}/odata/$metadata`,
      value: [{ name: 'Integrations', kind: 'EntitySet', url: 'Integrations' }],
    });
    // The contract names the service root `/odata/`: one trailing slash is the same route.
    const slash = await od('GET', '/odata/');
    expect(slash.status).toBe(200);
    expect(slash.json).toEqual(root.json);
    const metadata = await od('GET', '/odata/$metadata');
    expect(metadata.status).toBe(200);
    expect(metadata.headers.get('content-type')).toBe('application/xml');
    const xml = metadata.raw.toString('utf8');
    expect(xml).toContain('<EntityType Name="Integration"><Key><PropertyRef Name="Id"/></Key>');
    expect(xml).toContain('<EntitySet Name="Integrations" EntityType="Crossdock.Integration"/>');
    const names = [...xml.matchAll(/<EntityType[\s\S]*?<\/EntityType>/g)][0]?.[0].matchAll(
      /Property Name="(\w+)"/g,
    );
    expect([...(names ?? [])].map((m) => m[1])).toEqual([...PROPERTIES]);
    expect(xml).toContain('<Property Name="MaxAttempts" Type="Edm.Int32" Nullable="false"/>');
    expect(xml).toContain('<Property Name="CreatedAt" Type="Edm.DateTimeOffset" Nullable="false"/>');
  });

  it('is described by the OpenAPI document, with OData’s error shape', async () => {
    const doc = (await hub.partner('GET', '/openapi.json', undefined)).json;
    expect(Object.keys(doc.paths['/odata'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/odata/Integrations']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/odata/{resource}']).sort()).toEqual(['delete', 'get', 'patch']);
    const list = doc.paths['/odata/Integrations'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual([
      '$filter',
      '$orderby',
      '$top',
      '$skip',
      '$select',
      '$count',
    ]);
    expect(list.responses['400'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ODataError',
    });
    expect(Object.keys(doc.components.schemas.ODataError.properties.error.properties)).toEqual([
      'code',
      'message',
      'target',
      'details',
    ]);
    const post = doc.paths['/odata/Integrations'].post;
    expect(Object.keys(post.requestBody.content['application/json'].schema.properties)).toContain(
      'MaxAttempts',
    );
    expect(doc.info.description).toContain('OData face of the registry');
  });

  it('refuses a missing or wrong admin key with 401 in OData shape', async () => {
    const r = await hub.partner('GET', '/odata/Integrations', undefined);
    expectError(r, 401, 'unauthorized');
    const wrong = await hub.partner('GET', '/odata', undefined, {
      headers: { authorization: 'Bearer nope' },
    });
    expectError(wrong, 401);
  });

  describe('entities', () => {
    let id: string;
    it('POST creates: 201, Location, every property (null when unset), the secret once as an annotation', async () => {
      const r = await od('POST', '/odata/Integrations', outbound('entity-one', { Notes: 'FinanceKey' }));
      expect(r.status).toBe(201);
      expect(r.headers.get('content-type')).toBe(ODATA_JSON);
      id = r.json.Id;
      expect(r.headers.get('location')).toBe(`${hub.url}/odata/Integrations('${id}')`);
      expect(r.json['@odata.context']).toBe(`${hub.url}/odata/$metadata#Integrations/$entity`);
      expect(r.json['@Crossdock.SigningSecret']).toMatch(/\S{16,}/);
      const { '@odata.context': _c, '@Crossdock.SigningSecret': _s, ...entity } = r.json;
      expect(Object.keys(entity)).toEqual([...PROPERTIES]);
      expect(entity).toMatchObject({
        Name: 'entity-one',
        Direction: 'Outbound',
        Notes: 'FinanceKey',
        Active: true,
        MaxAttempts: 4,
        Parallel: true,
        BatchSize: 10,
        ElementId: null,
        ActionId: null,
        Sender: null,
        Version: null,
        Inbound: null,
        Delivery: { mode: 'pull', format: 'raw' },
      });
      // The same registry: /admin sees it under REST names, and the secret is the one REST signs with.
      const rest = await hub.admin('GET', `/admin/integrations/${id}`);
      expect(rest.json).toMatchObject({ id, name: 'entity-one', notes: 'FinanceKey' });
    });

    it('GET by key, quoted or not: the entity, never a secret; $select narrows it', async () => {
      const quoted = await od('GET', key(id));
      expect(quoted.status).toBe(200);
      expect(quoted.headers.get('content-type')).toBe(ODATA_JSON);
      expect(quoted.json['@odata.context']).toBe(`${hub.url}/odata/$metadata#Integrations/$entity`);
      expect(quoted.json.Id).toBe(id);
      expect(JSON.stringify(quoted.json)).not.toMatch(/secret/i);
      const bare = await od('GET', `/odata/Integrations(${id})`);
      expect(bare.json).toEqual(quoted.json);
      const some = await od('GET', `${key(id)}${buildQuery({ select: ['Name', 'Id'] })}`);
      expect(some.json).toEqual({
        '@odata.context': `${hub.url}/odata/$metadata#Integrations(Name,Id)/$entity`,
        Name: 'entity-one',
        Id: id,
      });
    });

    it('PATCH: 204, or 200 with the entity when Prefer: return=representation; the rules hold', async () => {
      const r = await od('PATCH', key(id), { Notes: 'changed', MaxAttempts: 5 });
      expect(r.status).toBe(204);
      expect(r.raw.length).toBe(0);
      expect((await od('GET', key(id))).json).toMatchObject({ Notes: 'changed', MaxAttempts: 5 });
      const rep = await od('PATCH', key(id), { Notes: null }, { prefer: 'return=representation' });
      expect(rep.status).toBe(200);
      expect(rep.headers.get('preference-applied')).toBe('return=representation');
      expect(rep.json).toMatchObject({ Id: id, Notes: null, MaxAttempts: 5 });
      expect(rep.json['@odata.context']).toBe(`${hub.url}/odata/$metadata#Integrations/$entity`);
    });

    it('DELETE: 204, then 404 in OData shape', async () => {
      expect((await od('DELETE', key(id))).status).toBe(204);
      expectError(await od('GET', key(id)), 404, 'not_found');
      expectError(await od('DELETE', key(id)), 404, 'not_found');
      expect((await hub.admin('GET', `/admin/integrations/${id}`)).status).toBe(404);
    });
  });

  describe('query options', () => {
    /** Eight integrations to query, all named q-…; the queries below are scoped to them. */
    const fixtures = [
      outbound('q-alpha', { MaxAttempts: 3, Notes: 'first', BatchSize: 5 }),
      outbound('q-beta', { MaxAttempts: 4, Active: false, BatchSize: 5 }),
      outbound('q-gamma', { MaxAttempts: 6, Sender: 'erp', BatchSize: 20 }),
      outbound('q-delta', { MaxAttempts: 2, Notes: "it's second", BatchSize: 20 }),
      outbound('q-epsilon', { MaxAttempts: 4, IncludeUpdate: true, BatchSize: 1 }),
      {
        Name: 'q-zeta',
        Direction: 'Inbound',
        Entity: 'customer',
        ConsentType: 'Operator',
        MaxAttempts: 1,
        Receiver: 'wms',
      },
      {
        Name: 'q-eta',
        Direction: 'Inbound',
        Entity: 'customer',
        ConsentType: 'None',
        Active: false,
        Receiver: 'wms',
      },
      outbound('q-theta-x', { MaxAttempts: 8, Version: '2', BatchSize: 100 }),
    ];
    type Row = {
      Name: string;
      MaxAttempts: number;
      Active: boolean;
      BatchSize: number;
      Sender: string | null;
    };
    let rows: Row[];
    beforeAll(async () => {
      for (const f of fixtures) expect((await od('POST', '/odata/Integrations', f)).status).toBe(201);
      rows = (await list({ filter: "startswith(Name,'q-')", top: 1000 })).json.value;
      expect(rows).toHaveLength(fixtures.length);
    });
    const names = (r: Answer) => r.json.value.map((e: { Name: string }) => e.Name);
    const scoped = (filter: Record<string, unknown> | string) =>
      list({ filter: [{ Name: { startswith: 'q-' } }, filter] as never });
    const expected = (pred: (r: Row) => boolean) =>
      rows
        .filter(pred)
        .map((r) => r.Name)
        .sort();

    it('$filter: every comparison operator on numbers, strings, booleans and null', async () => {
      const cases: [Record<string, unknown>, (r: Row) => boolean][] = [
        [{ MaxAttempts: { eq: 4 } }, (r) => r.MaxAttempts === 4],
        [{ MaxAttempts: { ne: 4 } }, (r) => r.MaxAttempts !== 4],
        [{ MaxAttempts: { gt: 4 } }, (r) => r.MaxAttempts > 4],
        [{ MaxAttempts: { ge: 4 } }, (r) => r.MaxAttempts >= 4],
        [{ MaxAttempts: { lt: 4 } }, (r) => r.MaxAttempts < 4],
        [{ MaxAttempts: { le: 4 } }, (r) => r.MaxAttempts <= 4],
        [{ Name: { gt: 'q-e' } }, (r) => r.Name > 'q-e'],
        [{ Name: { eq: 'q-beta' } }, (r) => r.Name === 'q-beta'],
        [{ Active: false }, (r) => !r.Active],
        [{ Active: { ne: false } }, (r) => r.Active],
        [{ Sender: null }, (r) => r.Sender === null],
        [{ Sender: { ne: null } }, (r) => r.Sender !== null],
      ];
      for (const [filter, pred] of cases) {
        const r = await scoped(filter);
        expect(r.status, JSON.stringify(filter)).toBe(200);
        expect(names(r).sort(), JSON.stringify(filter)).toEqual(expected(pred));
      }
    });

    it('$filter: and, or, not, parentheses and the string functions', async () => {
      const notes = (r: Row) => (r as Row & { Notes: string | null }).Notes;
      const cases: [Record<string, unknown> | string, (r: Row) => boolean][] = [
        [
          { or: [{ MaxAttempts: { lt: 3 } }, { MaxAttempts: { gt: 6 } }] },
          (r) => r.MaxAttempts < 3 || r.MaxAttempts > 6,
        ],
        [{ not: { Active: true } }, (r) => !r.Active],
        [
          { and: [{ BatchSize: 5 }, { or: [{ Active: false }, { MaxAttempts: 3 }] }] },
          (r) => r.BatchSize === 5 && (!r.Active || r.MaxAttempts === 3),
        ],
        [{ Name: { contains: 'et' } }, (r) => r.Name.includes('et')],
        [{ Name: { endswith: 'a' } }, (r) => r.Name.endsWith('a')],
        [{ Notes: { contains: "it's" } }, (r) => notes(r)?.includes("it's") ?? false],
        [
          'not (MaxAttempts ge 4 and (Active eq true or BatchSize eq 5))',
          (r) => !(r.MaxAttempts >= 4 && (r.Active || r.BatchSize === 5)),
        ],
        ['CreatedAt gt 2000-01-01T00:00:00Z and UpdatedAt lt 2999-01-01T00:00:00Z', () => true],
      ];
      for (const [filter, pred] of cases) {
        const r = await scoped(filter);
        expect(r.status, JSON.stringify(filter)).toBe(200);
        expect(names(r).sort(), JSON.stringify(filter)).toEqual(expected(pred));
      }
    });

    it('$orderby several keys asc/desc, $top, $skip, $select and $count together', async () => {
      const ordered = await list({
        filter: "startswith(Name,'q-')",
        orderBy: ['BatchSize desc', 'MaxAttempts asc', 'Name'],
      });
      const want = [...rows]
        .sort(
          (a, b) => b.BatchSize - a.BatchSize || a.MaxAttempts - b.MaxAttempts || (a.Name < b.Name ? -1 : 1),
        )
        .map((r) => r.Name);
      expect(names(ordered)).toEqual(want);

      const page = await list({
        filter: "startswith(Name,'q-')",
        orderBy: ['BatchSize desc', 'MaxAttempts asc', 'Name'],
        top: 3,
        skip: 2,
        select: ['Name', 'BatchSize'],
        count: true,
      });
      expect(page.status).toBe(200);
      expect(page.json['@odata.context']).toBe(`${hub.url}/odata/$metadata#Integrations(Name,BatchSize)`);
      expect(page.json['@odata.count']).toBe(fixtures.length);
      expect(page.json['@odata.nextLink']).toBeUndefined();
      expect(page.json.value).toEqual(
        want.slice(2, 5).map((Name) => ({ Name, BatchSize: rows.find((r) => r.Name === Name)?.BatchSize })),
      );
      const byName = await list({ filter: "startswith(Name,'q-')", orderBy: 'Name desc', top: 2 });
      expect(names(byName)).toEqual([...rows.map((r) => r.Name)].sort().reverse().slice(0, 2));
      expect((await list({ filter: "startswith(Name,'q-')", top: 0, count: true })).json).toMatchObject({
        '@odata.count': fixtures.length,
        value: [],
      });
    });
  });

  it('pages of 100 with @odata.nextLink to the end; $top and $count across pages', async () => {
    for (let i = 0; i < 230; i++) {
      const name = `page-${String(i).padStart(3, '0')}`;
      expect((await hub.admin('POST', '/admin/integrations', { ...restOutbound(name) })).status).toBe(201);
    }
    const seen: string[] = [];
    let next: string | undefined =
      `/odata/Integrations${buildQuery({ filter: "startswith(Name,'page-')", orderBy: 'Name', count: true })}`;
    let pages = 0;
    while (next) {
      const r = await od('GET', next);
      expect(r.status).toBe(200);
      expect(r.json['@odata.count']).toBe(230);
      expect(r.json.value.length).toBeLessThanOrEqual(100);
      seen.push(...r.json.value.map((e: { Name: string }) => e.Name));
      const link: string | undefined = r.json['@odata.nextLink'];
      if (link) expect(link.startsWith(`${hub.url}/odata/Integrations?`)).toBe(true);
      next = link ? link.slice(hub.url.length) : undefined;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 230 }, (_, i) => `page-${String(i).padStart(3, '0')}`));

    // $top=150 $skip=20: two pages, 100 then 50, and the link carries the rest of $top on.
    const first = await list({
      filter: "startswith(Name,'page-')",
      orderBy: 'Name desc',
      top: 150,
      skip: 20,
    });
    expect(first.json.value).toHaveLength(100);
    expect(first.json.value[0].Name).toBe('page-209');
    const second = await od('GET', (first.json['@odata.nextLink'] as string).slice(hub.url.length));
    expect(second.json.value).toHaveLength(50);
    expect(second.json.value.at(-1).Name).toBe('page-060');
    expect(second.json['@odata.nextLink']).toBeUndefined();
  });

  describe('bad input is answered as an OData error and writes nothing', () => {
    let before: unknown;
    let id: string;
    beforeAll(async () => {
      id = (await od('POST', '/odata/Integrations', outbound('bad-input-target'))).json.Id;
      before = await snapshot();
    });

    it('a broken $filter, an unknown property, $top over the limit, an unsupported option: 400/501', async () => {
      const q = (query: string) => od('GET', `/odata/Integrations?${query}`);
      expectError(await q('$filter=Name eq'), 400, 'invalid_filter');
      expectError(await q("$filter=Name eq 'x' and"), 400, 'invalid_filter');
      expectError(await q("$filter=(Name eq 'x'"), 400, 'invalid_filter');
      expectError(await q("$filter=Colour eq 'red'"), 400, 'unknown_property', 'Colour');
      expectError(await q("$filter=name eq 'x'"), 400, 'unknown_property', 'name');
      expectError(await q("$filter=MaxAttempts eq 'four'"), 400, 'invalid_filter');
      expectError(await q("$filter=tolower(Name) eq 'x'"), 400, 'invalid_filter');
      expectError(await q("$filter=Delivery/mode eq 'pull'"), 400, 'invalid_filter');
      expectError(await q('$filter=MaxAttempts add 1 eq 2'), 400, 'invalid_filter');
      expectError(await q('$orderby=Colour'), 400, 'unknown_property', 'Colour');
      expectError(await q('$orderby=Name sideways'), 400, 'invalid_parameter');
      expectError(await q('$select=Name,Colour'), 400, 'unknown_property', 'Colour');
      expectError(await q('$top=1001'), 400, 'invalid_parameter');
      expectError(await q('$top=-1'), 400, 'invalid_parameter');
      expectError(await q('$skip=x'), 400, 'invalid_parameter');
      expectError(await q('$count=yes'), 400);
      expectError(await q('$expand=Delivery'), 501, 'unsupported_option');
      expectError(await q('$nonsense=1'), 400, 'unsupported_option');
      expect((await q('$top=1000&custom=ignored')).status).toBe(200);
    });

    it('a key that is not one is 400; an unknown id or resource 404', async () => {
      for (const path of [
        "/odata/Integrations('x",
        "/odata/Integrations('')",
        '/odata/Integrations(a b)',
        "/odata/Integrations(Name='x')",
      ]) {
        expectError(await od('GET', path), 400, 'invalid_key');
        expectError(await od('PATCH', path, { Notes: 'x' }), 400, 'invalid_key');
        expectError(await od('DELETE', path), 400, 'invalid_key');
      }
      expectError(await od('GET', "/odata/Integrations('int_nope')"), 404, 'not_found');
      expectError(await od('PATCH', "/odata/Integrations('int_nope')", { Notes: 'x' }), 404, 'not_found');
      expectError(await od('GET', '/odata/Partners'), 404, 'not_found');
      // Not routed: the gateway's own 404.
      expect((await od('GET', '/odata/Integrations/$count')).status).toBe(404);
      expectError(await od('DELETE', '/odata/Integrations'), 405);
    });

    it('a rule violation on POST or PATCH is 400 with target = the PascalCase property', async () => {
      const post = (body: unknown) => od('POST', '/odata/Integrations', body);
      expectError(
        await post({ ...outbound('r1'), MaxAttempts: 'four' }),
        400,
        'invalid_field',
        'MaxAttempts',
      );
      expectError(await post({ ...outbound('r2'), Colour: 'red' }), 400, 'unknown_property', 'Colour');
      expectError(await post({ ...outbound('r3'), name: 'camel' }), 400, 'unknown_property', 'name');
      expectError(
        await post({ ...outbound('r4'), Receiver: undefined }),
        400,
        'invalid_integration',
        'Receiver',
      );
      expectError(
        await post({ ...outbound('r5'), Receiver: 'nobody' }),
        400,
        'invalid_integration',
        'Receiver',
      );
      expectError(
        await post({ ...outbound('r6'), Continuous: true }),
        400,
        'invalid_integration',
        'Continuous',
      );
      expectError(
        await post({
          Name: 'r7',
          Direction: 'Inbound',
          Entity: 'x',
          ConsentType: 'None',
          IncludeUpdate: true,
        }),
        400,
        'invalid_integration',
        'IncludeUpdate',
      );
      expectError(
        await post({ ...outbound('r8'), Delivery: { mode: 'push' } }),
        400,
        'invalid_integration',
        'Delivery',
      );
      expectError(await post({ ...outbound('r9'), Filter: '$$ = (' }), 400, 'invalid_integration', 'Filter');
      expectError(await post({ ...outbound('r10'), Name: '' }), 400, 'invalid_field', 'Name');
      expectError(await post('{"Name":'), 400, 'invalid_json');
      expectError(await post({ ...outbound('bad-input-target') }), 409, 'integration_exists', 'Name');
      const text = await od('POST', '/odata/Integrations', undefined, { 'content-type': 'text/plain' });
      expectError(text, 400);

      const patch = (body: unknown) => od('PATCH', key(id), body);
      expectError(await patch({ Continuous: true }), 400, 'invalid_integration', 'Continuous');
      expectError(await patch({ Direction: 'Sideways' }), 400, 'invalid_field', 'Direction');
      expectError(await patch({ Sender: 'nobody' }), 400, 'invalid_integration', 'Sender');
      expectError(await patch({ Id: 'int_other' }), 400, 'unknown_property', 'Id');
      expectError(await patch({ BatchSize: 0 }), 400, 'invalid_field', 'BatchSize');
    });

    it('nothing was written by any of them', async () => {
      expect(await snapshot()).toEqual(before);
    });
  });
});

/** An Outbound pull integration as /admin/integrations takes it (REST names). */
const restOutbound = (name: string) => ({
  name,
  direction: 'Outbound',
  entity: 'invoice',
  consentType: 'None',
  receiver: 'wms',
  delivery: { mode: 'pull' },
});
