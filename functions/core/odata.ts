import type { defaultParser, Token } from '@odata/parser';
import * as z from 'zod/mini';
import { badRequest, HubError } from './errors.js';
import {
  type Integration,
  type IntegrationInput,
  IntegrationInputSchema,
  IntegrationPatchSchema,
} from './integration.js';

/**
 * The OData v4 face of the integration registry (seed 004's wire format), as pure functions: the
 * PascalCase names, the entity and its EDM types, $metadata, the query options and the translation
 * of a parsed $filter into a predicate. Every name here is derived from the zod schema that
 * /admin/integrations validates with (IntegrationInputSchema); nothing keeps a second field list.
 */

export const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true';
export const ENTITY_SET = 'Integrations';
export const NAMESPACE = 'Crossdock';
/** Server-driven paging: a page holds at most this many entities, then `@odata.nextLink`. */
export const PAGE_SIZE = 100;
/** The most integrations a listing filters in memory (functions/usecases/odata.ts); more is 501. */
export const MAX_FILTERED = 10_000;
/** The largest `$top`; more is 400. */
export const MAX_TOP = 1000;
/** The instance annotation that carries the signing secret, once, in the answer to a POST. */
export const SECRET_ANNOTATION = `@${NAMESPACE}.SigningSecret`;

type Shape = typeof IntegrationInputSchema.shape;
type InputKey = keyof Shape & string;

/** `maxAttempts` → `MaxAttempts`. */
export const pascal = <S extends string>(s: S): Capitalize<S> =>
  (s.charAt(0).toUpperCase() + s.slice(1)) as Capitalize<S>;

const inputKeys = Object.keys(IntegrationInputSchema.shape) as InputKey[];

/**
 * The REST names of the entity's properties, in the contract's order: the id, the fields of the
 * schema, `inbound` (the contract names it; it is null until the schema has it), and the two times.
 */
export const REST_NAMES: readonly string[] = [
  'id',
  ...inputKeys,
  ...(inputKeys.includes('inbound' as InputKey) ? [] : ['inbound']),
  'createdAt',
  'updatedAt',
];

/** PascalCase → REST name, and back: the one mapping of the face. */
export const PROPERTY_OF: ReadonlyMap<string, string> = new Map(REST_NAMES.map((n) => [pascal(n), n]));
const PASCAL_OF: ReadonlyMap<string, string> = new Map(REST_NAMES.map((n) => [n, pascal(n)]));
export const PROPERTIES: readonly string[] = [...PROPERTY_OF.keys()];

/** The OData name of a REST field (`maxAttempts` → `MaxAttempts`); a name it does not know stays as it is. */
export const odataName = (restName: string): string => PASCAL_OF.get(restName) ?? restName;

// ---- EDM types, read from the schema ----

type EdmType =
  | {
      kind: 'primitive';
      type: 'Edm.String' | 'Edm.Boolean' | 'Edm.Int32' | 'Edm.Double' | 'Edm.DateTimeOffset';
    }
  | { kind: 'collection'; of: 'Edm.Int32' | 'Edm.String' }
  | { kind: 'complex'; name: string; schema?: z.ZodMiniObject }
  | { kind: 'dynamic' };

interface Def {
  type: string;
  /** A number's format: `safeint` for z.int(); absent for any number. */
  format?: string;
  innerType?: z.ZodMiniType;
  element?: z.ZodMiniType;
}
const defOf = (s: z.ZodMiniType) => s._zod.def as unknown as Def;

/** The schema without its optional/nullable/default wrappers, and whether null (or absence) is allowed. */
function unwrap(schema: z.ZodMiniType): { inner: z.ZodMiniType; nullable: boolean } {
  let inner = schema;
  let nullable = false;
  for (;;) {
    const def = defOf(inner);
    if (!['optional', 'nullable', 'default'].includes(def.type) || !def.innerType) break;
    if (def.type !== 'default') nullable = true;
    inner = def.innerType;
  }
  return { inner, nullable };
}

function edmOf(schema: z.ZodMiniType, complexName: string): EdmType {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  switch (def.type) {
    case 'string':
    case 'enum':
      return { kind: 'primitive', type: 'Edm.String' };
    case 'boolean':
      return { kind: 'primitive', type: 'Edm.Boolean' };
    case 'number':
      // z.int() is Int32; a number that may have a fraction (autoDisableAfterHours) is Double.
      return { kind: 'primitive', type: def.format === 'safeint' ? 'Edm.Int32' : 'Edm.Double' };
    case 'array': {
      const element = def.element ? edmOf(def.element, complexName) : undefined;
      if (element?.kind === 'primitive' && (element.type === 'Edm.Int32' || element.type === 'Edm.String'))
        return { kind: 'collection', of: element.type };
      return { kind: 'dynamic' };
    }
    case 'object':
      return { kind: 'complex', name: complexName, schema: inner as z.ZodMiniObject };
    default:
      return { kind: 'dynamic' };
  }
}

const shape = IntegrationInputSchema.shape as Record<string, z.ZodMiniType>;

/** Each property's EDM type and nullability, by its OData name. */
export const PROPERTY_TYPES: ReadonlyMap<string, { edm: EdmType; nullable: boolean }> = new Map(
  REST_NAMES.map((rest) => {
    const name = pascal(rest);
    if (rest === 'id') return [name, { edm: { kind: 'primitive', type: 'Edm.String' }, nullable: false }];
    if (rest === 'createdAt' || rest === 'updatedAt')
      return [name, { edm: { kind: 'primitive', type: 'Edm.DateTimeOffset' }, nullable: false }];
    const field = shape[rest];
    if (!field) return [name, { edm: { kind: 'complex', name }, nullable: true }];
    return [name, { edm: edmOf(field, name), nullable: unwrap(field).nullable }];
  }),
);

// ---- entities ----

export type Entity = Record<string, unknown>;

/** The entity of an integration: every property present, null when unset; nested objects keep REST names. */
export function toEntity(i: Integration): Entity {
  const source = i as unknown as Record<string, unknown>;
  const out: Entity = {};
  for (const [name, rest] of PROPERTY_OF) out[name] = source[rest] ?? null;
  return out;
}

/** Only the `$select`ed properties (all when none is). */
export function selected(entity: Entity, select: readonly string[] | undefined): Entity {
  if (!select) return entity;
  return Object.fromEntries(select.map((p) => [p, entity[p] ?? null]));
}

/** A body's PascalCase keys → the REST names (the schema has already refused unknown ones). */
export function fromOdataBody(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [PROPERTY_OF.get(k) ?? k, v]));
}

type Pascalized<T extends Record<string, z.ZodMiniType>> = { [K in keyof T & string as Capitalize<K>]: T[K] };

function pascalShape<T extends Record<string, z.ZodMiniType>>(s: T): Pascalized<T> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [pascal(k), v])) as Pascalized<T>;
}

/** POST /odata/Integrations: the REST input schema under PascalCase names (same rules, same defaults). */
export const ODataInputSchema = z.strictObject(pascalShape(IntegrationInputSchema.shape));
/** PATCH: any subset, as on /admin/integrations. */
export const ODataPatchSchema = z.strictObject(pascalShape(IntegrationPatchSchema.shape));

export const toInput = (body: z.output<typeof ODataInputSchema>): IntegrationInput =>
  fromOdataBody(body) as IntegrationInput;
export const toPatch = (body: z.output<typeof ODataPatchSchema>): z.output<typeof IntegrationPatchSchema> =>
  fromOdataBody(body) as z.output<typeof IntegrationPatchSchema>;

/** The entity as the answers declare it (every property; `$select` may leave some out of a listing). */
const jsonOf = (edm: EdmType): z.ZodMiniType => {
  if (edm.kind === 'primitive') {
    if (edm.type === 'Edm.Boolean') return z.boolean();
    if (edm.type === 'Edm.Int32') return z.int();
    if (edm.type === 'Edm.Double') return z.number();
    return z.string();
  }
  if (edm.kind === 'collection') return z.array(edm.of === 'Edm.Int32' ? z.int() : z.string());
  if (edm.kind === 'complex' && edm.schema) return edm.schema;
  return z.unknown();
};
/** Every property is present, null when unset... */
const entityShape = Object.fromEntries(
  [...PROPERTY_TYPES].map(([name, { edm }]) => [name, z.nullable(jsonOf(edm))]),
) as Record<string, z.ZodMiniType>;
/** ...unless `$select` leaves it out. */
const selectedShape = Object.fromEntries(
  Object.entries(entityShape).map(([k, v]) => [k, z.optional(v)]),
) as Record<string, z.ZodMiniType>;
export const ODataEntitySchema = z.object({ '@odata.context': z.string(), ...entityShape });
export const ODataSelectedEntitySchema = z.object({ '@odata.context': z.string(), ...selectedShape });
export const ODataCreatedSchema = z.object({
  '@odata.context': z.string(),
  [SECRET_ANNOTATION]: z.string(),
  ...entityShape,
});
export const ODataCollectionSchema = z.object({
  '@odata.context': z.string(),
  '@odata.count': z.optional(z.int()),
  '@odata.nextLink': z.optional(z.string()),
  value: z.array(z.object(selectedShape)),
});
export const ODataServiceSchema = z.object({
  '@odata.context': z.string(),
  value: z.array(z.object({ name: z.string(), kind: z.string(), url: z.string() })),
});
export const ODataErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    target: z.optional(z.string()),
    details: z.optional(
      z.array(z.object({ code: z.string(), message: z.string(), target: z.optional(z.string()) })),
    ),
  }),
});

// ---- $metadata and the service document ----

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function propertyXml(name: string, edm: EdmType, nullable: boolean): string | undefined {
  const type =
    edm.kind === 'primitive'
      ? edm.type
      : edm.kind === 'collection'
        ? `Collection(${edm.of})`
        : edm.kind === 'complex'
          ? `${NAMESPACE}.${edm.name}`
          : undefined;
  if (!type) return undefined;
  return `<Property Name="${xmlEscape(name)}" Type="${type}" Nullable="${nullable}"/>`;
}

/** A complex type: open, so a map (delivery.headers) or a field added later travels as a dynamic property. */
function complexTypeXml(name: string, schema: z.ZodMiniObject | undefined): string {
  const props = Object.entries((schema?.shape ?? {}) as Record<string, z.ZodMiniType>)
    .map(([k, v]) => propertyXml(k, edmOf(v, k), unwrap(v).nullable))
    .filter((p): p is string => p !== undefined);
  return `<ComplexType Name="${name}" OpenType="true">${props.join('')}</ComplexType>`;
}

/** The CSDL document: the Integration entity type (key Id), its complex types, the Integrations set. */
export function metadataXml(): string {
  const props: string[] = [];
  const complex: string[] = [];
  for (const [name, { edm, nullable }] of PROPERTY_TYPES) {
    const xml = propertyXml(name, edm, nullable);
    if (xml) props.push(xml);
    if (edm.kind === 'complex') complex.push(complexTypeXml(edm.name, edm.schema));
  }
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
    '<edmx:DataServices>',
    `<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="${NAMESPACE}">`,
    '<EntityType Name="Integration"><Key><PropertyRef Name="Id"/></Key>',
    ...props,
    '</EntityType>',
    ...complex,
    '<EntityContainer Name="Container">',
    `<EntitySet Name="${ENTITY_SET}" EntityType="${NAMESPACE}.Integration"/>`,
    '</EntityContainer>',
    '</Schema>',
    '</edmx:DataServices>',
    '</edmx:Edmx>',
  ].join('\n');
}

export const serviceDocument = (base: string) => ({
  '@odata.context': `${base}/$metadata`,
  value: [{ name: ENTITY_SET, kind: 'EntitySet', url: ENTITY_SET }],
});

// ---- the resource path ----

export type Resource = { kind: 'metadata' } | { kind: 'collection' } | { kind: 'entity'; id: string };

/**
 * The one path segment after /odata/: `$metadata`, `Integrations`, or `Integrations('<id>')` (also
 * `(<id>)` unquoted and `(Id='<id>')`; `''` inside quotes is one `'`). A key that is not one of those
 * is 400; any other segment 404.
 */
export function parseResource(segment: string): Resource {
  if (segment === '$metadata') return { kind: 'metadata' };
  if (segment === ENTITY_SET) return { kind: 'collection' };
  if (!segment.startsWith(`${ENTITY_SET}(`)) {
    throw new HubError(404, 'not_found', `The service has no resource ${segment}; it serves ${ENTITY_SET}.`);
  }
  const key = /^Integrations\((?:Id=)?(?:'((?:[^']|'')+)'|([A-Za-z0-9._:-]+))\)$/.exec(segment);
  const id = key?.[1]?.replace(/''/g, "'") ?? key?.[2];
  if (!id) {
    throw badRequest(
      'invalid_key',
      `${segment} is not a key of ${ENTITY_SET}: write ${ENTITY_SET}('<id>') or ${ENTITY_SET}(<id>).`,
    );
  }
  return { kind: 'entity', id };
}

// ---- query options ----

export interface QueryOptions {
  filter?: Predicate;
  orderby: { property: string; desc: boolean }[];
  top?: number;
  skip: number;
  select?: string[];
  count: boolean;
}

const SUPPORTED_OPTIONS = new Set(['$filter', '$orderby', '$top', '$skip', '$select', '$count']);
const KNOWN_UNSUPPORTED = new Set([
  '$expand',
  '$search',
  '$format',
  '$apply',
  '$compute',
  '$index',
  '$levels',
  '$skiptoken',
  '$deltatoken',
  '$schemaversion',
]);

const unknownProperty = (name: string) =>
  badRequest('unknown_property', `${name} is not a property of ${NAMESPACE}.Integration.`, name);

function count(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw badRequest('invalid_parameter', `${name} must be a whole number ≥ 0.`);
  return Number(value);
}

/** The names of a comma list of properties ($select, $orderby), each checked against the entity type. */
function propertyList(name: string, value: string): string[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw badRequest('invalid_parameter', `${name} has an empty item.`);
  return parts;
}

/**
 * Reads the system query options of a request (only those this face supports: others are 400). A
 * `$filter` needs loadFilterParser() to have been awaited.
 */
export function parseQueryOptions(query: Readonly<Record<string, string | undefined>>): QueryOptions {
  // Custom query options (no `$`) are the client's own: OData says to ignore what is not known.
  for (const key of Object.keys(query)) {
    if (key.startsWith('$') && !SUPPORTED_OPTIONS.has(key)) {
      throw new HubError(
        KNOWN_UNSUPPORTED.has(key) ? 501 : 400,
        'unsupported_option',
        `${key} is not supported here; this service supports ${[...SUPPORTED_OPTIONS].join(', ')}.`,
      );
    }
  }
  const options: QueryOptions = { orderby: [], skip: 0, count: false };
  const { $filter, $orderby, $top, $skip, $select, $count } = query;
  if ($filter !== undefined) options.filter = translateFilter($filter);
  if ($orderby !== undefined) {
    options.orderby = propertyList('$orderby', $orderby).map((item) => {
      const m = /^(\S+)(?:\s+(asc|desc))?$/.exec(item);
      if (!m?.[1])
        throw badRequest('invalid_parameter', `$orderby item "${item}" is not "<property> [asc|desc]".`);
      const property = m[1];
      const type = PROPERTY_TYPES.get(property);
      if (!type) throw unknownProperty(property);
      if (type.edm.kind !== 'primitive') {
        throw badRequest('invalid_parameter', `$orderby: ${property} is not a primitive property.`, property);
      }
      return { property, desc: m[2] === 'desc' };
    });
  }
  if ($top !== undefined) {
    options.top = count('$top', $top);
    if (options.top > MAX_TOP) throw badRequest('invalid_parameter', `$top may be at most ${MAX_TOP}.`);
  }
  if ($skip !== undefined) options.skip = count('$skip', $skip);
  if ($select !== undefined && $select.trim() !== '*') {
    options.select = [
      ...new Set(
        propertyList('$select', $select).map((p) => {
          if (!PROPERTY_TYPES.has(p)) throw unknownProperty(p);
          return p;
        }),
      ),
    ];
  }
  if ($count !== undefined) {
    if ($count !== 'true' && $count !== 'false')
      throw badRequest('invalid_parameter', '$count must be true or false.');
    options.count = $count === 'true';
  }
  return options;
}

// ---- $filter ----

export type Predicate = (entity: Entity) => boolean;
type Value = string | number | boolean | null;
/** An operand: its value for an entity, and its type where known (a property's, a literal's). */
interface Operand {
  get: (e: Entity) => unknown;
  type: 'string' | 'number' | 'boolean' | 'datetime' | 'null' | 'other';
  literal: boolean;
}

const NUMERIC = new Set([
  'Edm.SByte',
  'Edm.Byte',
  'Edm.Int16',
  'Edm.Int32',
  'Edm.Int64',
  'Edm.Decimal',
  'Edm.Double',
  'Edm.Single',
]);

const invalidFilter = (message: string) => badRequest('invalid_filter', `$filter: ${message}`);

let filterParser: typeof defaultParser | undefined;

/**
 * Loads @odata/parser (about 200 KB of bundle with its dependencies) for translateFilter. It is
 * imported when a request first has a $filter, not at the function's cold start: most reads have
 * none (lib/bundling.ts puts it in a chunk loaded on demand).
 */
export async function loadFilterParser(): Promise<void> {
  filterParser ??= (await import('@odata/parser')).defaultParser;
}

/**
 * Parses a $filter with @odata/parser and translates its syntax tree into a predicate over entities.
 * Supported: eq ne gt ge lt le, and or not, parentheses, contains/startswith/endswith, string,
 * number, boolean, null and DateTimeOffset literals, on the entity's primitive properties (a complex
 * property compares only with null). Anything else is a 400 that says what.
 */
export function translateFilter(source: string): Predicate {
  if (source.length > 4096) throw invalidFilter('is longer than 4096 characters.');
  if (!filterParser) throw new Error('translateFilter needs loadFilterParser() first.');
  let ast: Token;
  try {
    ast = filterParser.filter(source);
  } catch (e) {
    throw invalidFilter(`not valid OData (${(e as Error).message}).`);
  }
  if (!ast || ast.raw !== source.trim()) throw invalidFilter('not valid OData.');
  return booleanOf(ast, 0);
}

const MAX_DEPTH = 64;

function booleanOf(t: Token, depth: number): Predicate {
  if (depth > MAX_DEPTH) throw invalidFilter(`nests deeper than ${MAX_DEPTH} levels.`);
  const v = t.value as { left?: Token; right?: Token; method?: string; parameters?: Token[] } & Token;
  switch (t.type) {
    case 'AndExpression': {
      const [l, r] = [booleanOf(v.left as Token, depth + 1), booleanOf(v.right as Token, depth + 1)];
      return (e) => l(e) && r(e);
    }
    case 'OrExpression': {
      const [l, r] = [booleanOf(v.left as Token, depth + 1), booleanOf(v.right as Token, depth + 1)];
      return (e) => l(e) || r(e);
    }
    case 'NotExpression': {
      const inner = booleanOf(t.value as Token, depth + 1);
      return (e) => !inner(e);
    }
    case 'BoolParenExpression':
    case 'ParenExpression':
    case 'CommonExpression':
      return booleanOf(t.value as Token, depth + 1);
    case 'EqualsExpression':
    case 'NotEqualsExpression':
    case 'LesserThanExpression':
    case 'LesserOrEqualsExpression':
    case 'GreaterThanExpression':
    case 'GreaterOrEqualsExpression':
      return comparison(
        t.type,
        operandOf(v.left as Token, depth + 1),
        operandOf(v.right as Token, depth + 1),
        t,
      );
    case 'MethodCallExpression':
      return methodCall(v.method ?? '', v.parameters ?? [], depth + 1, t);
    case 'FirstMemberExpression':
    case 'MemberExpression':
    case 'PropertyPathExpression': {
      const o = operandOf(t, depth + 1);
      if (o.type !== 'boolean') throw invalidFilter(`${t.raw} is not a boolean.`);
      return (e) => o.get(e) === true;
    }
    case 'Literal': {
      if (t.value !== 'Edm.Boolean') throw invalidFilter(`${t.raw} is not a boolean.`);
      const b = t.raw === 'true';
      return () => b;
    }
    default:
      throw invalidFilter(`${t.raw} (${t.type}) is not supported.`);
  }
}

function operandOf(t: Token, depth: number): Operand {
  if (depth > MAX_DEPTH) throw invalidFilter(`nests deeper than ${MAX_DEPTH} levels.`);
  switch (t.type) {
    case 'ParenExpression':
    case 'BoolParenExpression':
    case 'CommonExpression':
    case 'FirstMemberExpression':
    case 'MemberExpression':
      return operandOf(t.value as Token, depth + 1);
    case 'PropertyPathExpression': {
      const inner = t.value as Token & { current?: Token };
      if (inner.current || inner.type !== 'ODataIdentifier') {
        throw invalidFilter(
          `${t.raw}: paths into Delivery or Inbound are not supported; filter on a top-level property.`,
        );
      }
      return propertyOperand((inner.value as { name: string }).name);
    }
    case 'ODataIdentifier':
      return propertyOperand((t.value as { name: string }).name);
    case 'Literal':
      return literalOperand(t);
    default:
      throw invalidFilter(`${t.raw} (${t.type}) is not supported as an operand.`);
  }
}

function propertyOperand(name: string): Operand {
  const type = PROPERTY_TYPES.get(name);
  if (!type) throw unknownProperty(name);
  const edm = type.edm;
  const t: Operand['type'] =
    edm.kind !== 'primitive'
      ? 'other'
      : edm.type === 'Edm.String'
        ? 'string'
        : edm.type === 'Edm.Int32' || edm.type === 'Edm.Double'
          ? 'number'
          : edm.type === 'Edm.Boolean'
            ? 'boolean'
            : 'datetime';
  return { get: (e) => e[name] ?? null, type: t, literal: false };
}

function literalOperand(t: Token): Operand {
  const edm = t.value as string;
  let value: Value;
  let type: Operand['type'];
  if (edm === 'Edm.String') {
    value = t.raw.slice(1, -1).replace(/''/g, "'");
    type = 'string';
  } else if (edm === 'Edm.Boolean') {
    value = t.raw === 'true';
    type = 'boolean';
  } else if (edm === 'null') {
    value = null;
    type = 'null';
  } else if (NUMERIC.has(edm)) {
    value = Number(t.raw.replace(/[mMdDfFlL]$/, ''));
    if (!Number.isFinite(value)) throw invalidFilter(`${t.raw} is not a finite number.`);
    type = 'number';
  } else if (edm === 'Edm.DateTimeOffset') {
    value = Date.parse(t.raw);
    if (Number.isNaN(value)) throw invalidFilter(`${t.raw} is not a valid date and time.`);
    type = 'datetime';
  } else {
    throw invalidFilter(`literals of type ${edm} (${t.raw}) are not supported.`);
  }
  return { get: () => value, type, literal: true };
}

const ORDER = {
  EqualsExpression: 'eq',
  NotEqualsExpression: 'ne',
  LesserThanExpression: 'lt',
  LesserOrEqualsExpression: 'le',
  GreaterThanExpression: 'gt',
  GreaterOrEqualsExpression: 'ge',
} as const;

function comparison(kind: keyof typeof ORDER, left: Operand, right: Operand, t: Token): Predicate {
  const op = ORDER[kind];
  const types = new Set([left.type, right.type]);
  types.delete('null');
  if (types.has('other')) {
    if (!((op === 'eq' || op === 'ne') && (left.type === 'null' || right.type === 'null'))) {
      throw invalidFilter(`${t.raw}: a complex property compares only with null (eq/ne).`);
    }
  } else if (types.size > 1) {
    throw invalidFilter(`${t.raw} compares a ${[...types].join(' with a ')}.`);
  }
  const datetime = types.has('datetime');
  const read = (o: Operand, e: Entity): unknown => {
    const v = o.get(e);
    return datetime && typeof v === 'string' ? Date.parse(v) : v;
  };
  if (op === 'eq' || op === 'ne') {
    const isNull = left.type === 'null' || right.type === 'null';
    return (e) => {
      const [a, b] = [read(left, e), read(right, e)];
      const same = isNull ? (a ?? null) === null && (b ?? null) === null : a === b;
      return op === 'eq' ? same : !same;
    };
  }
  if (types.has('boolean')) throw invalidFilter(`${t.raw}: booleans compare only with eq and ne.`);
  return (e) => {
    const [a, b] = [read(left, e), read(right, e)];
    // OData: an ordering comparison with null is false.
    if (a === null || b === null || a === undefined || b === undefined) return false;
    const c = (a as string | number) < (b as string | number) ? -1 : a === b ? 0 : 1;
    return op === 'lt' ? c < 0 : op === 'le' ? c <= 0 : op === 'gt' ? c > 0 : c >= 0;
  };
}

const STRING_METHODS: Record<string, (s: string, x: string) => boolean> = {
  contains: (s, x) => s.includes(x),
  startswith: (s, x) => s.startsWith(x),
  endswith: (s, x) => s.endsWith(x),
};

function methodCall(method: string, params: Token[], depth: number, t: Token): Predicate {
  const fn = STRING_METHODS[method];
  if (!fn)
    throw invalidFilter(`the function ${method} is not supported (contains, startswith, endswith are).`);
  if (params.length !== 2) throw invalidFilter(`${method} takes two arguments.`);
  const [a, b] = params.map((p) => operandOf(p, depth));
  if (!a || !b || a.type !== 'string' || b.type !== 'string') {
    throw invalidFilter(`${t.raw}: ${method} takes two strings.`);
  }
  return (e) => {
    const [s, x] = [a.get(e), b.get(e)];
    return typeof s === 'string' && typeof x === 'string' && fn(s, x);
  };
}

// ---- ordering and paging ----

/** OData's order: null before any value ascending; the Id decides ties, so pages are stable. */
export function sortEntities(entities: Entity[], orderby: QueryOptions['orderby']): Entity[] {
  const keys = [...orderby, { property: 'Id', desc: false }];
  const cmp = (a: unknown, b: unknown): number => {
    if (a === b) return 0;
    if (a === null || a === undefined) return -1;
    if (b === null || b === undefined) return 1;
    return (a as string | number) < (b as string | number) ? -1 : 1;
  };
  return [...entities].sort((x, y) => {
    for (const k of keys) {
      const c = cmp(x[k.property], y[k.property]);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  });
}

/** The query of the next page: the request's own options, with $skip and $top moved on by a page. */
export function nextLinkQuery(
  query: Readonly<Record<string, string | undefined>>,
  skip: number,
  top: number | undefined,
): string {
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && k !== '$skip' && k !== '$top') next[k] = v;
  next.$skip = String(skip + PAGE_SIZE);
  if (top !== undefined) next.$top = String(top - PAGE_SIZE);
  return Object.entries(next)
    .map(([k, v]) => `${encodeURIComponent(k).replace(/^%24/, '$')}=${encodeURIComponent(v)}`)
    .join('&');
}
