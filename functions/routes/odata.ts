import * as z from 'zod/mini';
import {
  MAX_TOP,
  ODataCollectionSchema,
  ODataCreatedSchema,
  ODataEntitySchema,
  ODataInputSchema,
  ODataPatchSchema,
  ODataSelectedEntitySchema,
  ODataServiceSchema,
  PAGE_SIZE,
} from '../core/odata.js';
import { ODATA } from '../http/faces/odata.js';
import { h, type RouteDefinition } from '../route-types.js';

/**
 * The OData v4 face of the integration registry (seed 004's wire format; handlers:
 * functions/http/odata.ts). The same registry, rules and admin key as /admin/integrations, under
 * PascalCase names.
 *
 * Paths: an OData key sits inside its path segment (`/odata/Integrations('int_1')`), and API
 * Gateway (HTTP API) matches a path variable only as a whole segment, so the keyed routes are
 * `/odata/{resource}` and the handler reads the segment itself (core/odata.ts parseResource); the
 * same variable carries `$metadata`, which keeps `$` out of route keys. `/odata/Integrations` is a
 * literal route beside it (API Gateway picks the literal, the more specific; the local hub tries
 * routes in table order, so the literals come first). The service document is declared at `/odata`
 * (CDK refuses a route path that ends in `/`); API Gateway routes the contract's `/odata/` to it, as
 * the local hub does (one trailing slash is the same route).
 */

const ResourceParams = z.object({
  resource: z.string().register(z.globalRegistry, {
    description: "`$metadata`, or an entity: `Integrations('<id>')` (also `Integrations(<id>)`)",
  }),
});
const SelectQuery = z.object({
  $select: z.optional(z.string().register(z.globalRegistry, { description: 'properties, comma-separated' })),
});
const ListQuery = z.object({
  $filter: z.optional(
    z.string().register(z.globalRegistry, {
      description:
        'eq ne gt ge lt le, and or not, parentheses, contains/startswith/endswith; string, number, boolean, null and DateTimeOffset literals; top-level properties',
    }),
  ),
  $orderby: z.optional(z.string().register(z.globalRegistry, { description: 'e.g. `Name desc,CreatedAt`' })),
  $top: z.optional(z.string().register(z.globalRegistry, { description: `0..${MAX_TOP}` })),
  $skip: z.optional(z.string()),
  $select: SelectQuery.shape.$select,
  $count: z.optional(z.enum(['true', 'false'])),
});

/**
 * The OData face is one function (http/odata.ts `odataFace`, dispatching by route key), so every route
 * declares what the function as a whole uses: reads and writes of the registry, and the delivery queue
 * (a DELETE of a disabled integration hands its held deliveries to the delivery workers, which end them).
 */
const ODATA_USES = ['registry:write', 'deliveryQueue:send'] as const;

export const serviceDocument = {
  method: 'GET',
  path: '/odata',
  auth: 'admin',
  face: ODATA,
  handler: h('http/odata.ts', 'odataFace'),
  summary: 'OData service document (FinanceKey wire format)',
  uses: ODATA_USES,
  responses: { 200: { description: 'the entity sets', schema: ODataServiceSchema } },
} satisfies RouteDefinition;

export const listODataIntegrations = {
  method: 'GET',
  path: '/odata/Integrations',
  auth: 'admin',
  face: ODATA,
  query: ListQuery,
  handler: h('http/odata.ts', 'odataFace'),
  summary: 'OData: the integrations, filtered, ordered and paged',
  uses: ODATA_USES,
  responses: {
    200: {
      description: `a page of at most ${PAGE_SIZE} entities, and \`@odata.nextLink\` while more remain`,
      schema: ODataCollectionSchema,
    },
    400: 'a broken $filter, an unknown property, $top over the limit, an unknown system query option',
    501: 'a system query option this service does not implement ($expand, $search, …), or a registry too large to filter here',
  },
} satisfies RouteDefinition;

export const createODataIntegration = {
  method: 'POST',
  path: '/odata/Integrations',
  auth: 'admin',
  face: ODATA,
  body: ODataInputSchema,
  handler: h('http/odata.ts', 'odataFace'),
  summary: 'OData: register an integration (the signing secret is shown once, as an annotation)',
  uses: ODATA_USES,
  responses: {
    201: {
      description: `the entity, with \`Location\`, and the signing secret in \`@Crossdock.SigningSecret\`, shown only here`,
      schema: ODataCreatedSchema,
    },
    400: 'a rule is violated (`target` names the property)',
    409: 'duplicate name (`target`: Name)',
  },
} satisfies RouteDefinition;

export const readOData = {
  method: 'GET',
  path: '/odata/{resource}',
  auth: 'admin',
  face: ODATA,
  params: ResourceParams,
  query: SelectQuery,
  handler: h('http/odata.ts', 'odataFace'),
  summary: "OData: `$metadata` (CSDL XML), or one integration: `Integrations('<id>')`",
  uses: ODATA_USES,
  responses: {
    200: {
      description: 'the entity (every property, null when unset; only those `$select` names)',
      schema: ODataSelectedEntitySchema,
      alternative: { contentType: 'application/xml', description: '$metadata: the CSDL document' },
    },
    400: 'a key that is not one, an unknown property in $select',
    404: 'unknown integration or resource',
  },
} satisfies RouteDefinition;

export const patchODataIntegration = {
  method: 'PATCH',
  path: '/odata/{resource}',
  auth: 'admin',
  face: ODATA,
  params: ResourceParams,
  body: ODataPatchSchema,
  handler: h('http/odata.ts', 'odataFace'),
  summary: "OData: change an integration (`Integrations('<id>')`); the result must pass every rule",
  uses: ODATA_USES,
  responses: {
    200: { description: 'the entity, with `Prefer: return=representation`', schema: ODataEntitySchema },
    204: 'changed',
    400: 'a rule is violated (`target` names the property), or the key is not one',
    404: 'unknown integration',
    405: 'not an entity (`$metadata`, or the set itself)',
    409: 'duplicate name (`target`: Name)',
  },
} satisfies RouteDefinition;

export const deleteODataIntegration = {
  method: 'DELETE',
  path: '/odata/{resource}',
  auth: 'admin',
  face: ODATA,
  params: ResourceParams,
  handler: h('http/odata.ts', 'odataFace'),
  summary: "OData: delete an integration (`Integrations('<id>')`)",
  uses: ODATA_USES,
  responses: {
    204: 'deleted',
    400: 'the key is not one',
    404: 'unknown integration',
    405: 'not an entity (`$metadata`, or the set itself)',
  },
} satisfies RouteDefinition;
