import * as z from 'zod/mini';
import { MAX_ROW_BYTES, RowPathSchema } from '../core/entities.js';
import { AS_IS } from '../core/parse.js';
import { h, type RouteDefinition } from '../route-types.js';
import { wholeNumberParam } from './schemas.js';

/** Entity rows a partner's system keeps in the hub (Contract v2, "Entities"; handlers: functions/http/entities.ts). */

/** The largest page of a listing, and its default. */
export const MAX_ROWS_PAGE = 100;
const DEFAULT_ROWS_PAGE = 50;

const RowSummarySchema = z.object({
  entity: z.string(),
  id: z.string(),
  version: z.number(),
  owner: z.string(),
  updatedAt: z.string(),
});
const DataSchema = z.record(z.string(), z.unknown());
/** A row as listed; a single row's answer adds its owner and deliveries. */
const RowViewSchema = z.object({
  entity: z.string(),
  id: z.string(),
  version: z.number(),
  updatedAt: z.string(),
  data: DataSchema,
});

/** `updatedSince`: an ISO 8601 date-time, read as the UTC instant it names (rows store UTC). */
const isoInstant = z.pipe(
  z.optional(z.string()),
  z.transform((raw: string | undefined, ctx) => {
    if (raw === undefined) return undefined;
    const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)
      ? Date.parse(raw)
      : Number.NaN;
    if (Number.isNaN(ms)) {
      ctx.issues.push({
        code: 'custom',
        message: 'updatedSince must be an ISO 8601 date-time with a zone, e.g. 2026-12-01T00:00:00Z.',
        input: raw,
        params: AS_IS,
      });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  }),
);

export const putRow = {
  method: 'PUT',
  path: '/v1/entities/{entity}/{id}',
  auth: 'apiKey',
  scope: 'entities',
  params: RowPathSchema,
  body: DataSchema,
  maxBodyBytes: MAX_ROW_BYTES,
  bodyTooLargeHint: ' A row is a JSON object of at most 256 KB.',
  handler: h('http/entities.ts', 'putRow'),
  summary:
    'Create or change a row (a JSON object ≤ 256 KB); optional If-Match: "<version>". An identical body changes nothing.',
  // The sends a change triggers are stored and queued as messages are (functions/usecases/entities.ts).
  uses: ['messages:write', 'payloads:write', 'deliveryQueue:send', 'orderedDeliveryQueue:send'],
  responses: {
    200: {
      description: 'changed (version + 1), or identical (same version, nothing queued)',
      schema: z.extend(RowSummarySchema, { queued: z.array(z.string()) }),
    },
    201: {
      description: 'a new row, at version 1',
      schema: z.extend(RowSummarySchema, { queued: z.array(z.string()) }),
    },
    400: 'not a JSON object, a bad entity name or row id, or a malformed If-Match',
    404: 'another partner’s row',
    409: 'changed by concurrent requests too often; try again',
    412: 'If-Match names another version (or the row does not exist)',
    413: 'over 256 KB',
  },
} satisfies RouteDefinition;

export const getRow = {
  method: 'GET',
  path: '/v1/entities/{entity}/{id}',
  auth: 'apiKey',
  scope: 'entities',
  params: RowPathSchema,
  handler: h('http/entities.ts', 'getRow'),
  summary:
    'A row with its data and its deliveries; header ETag: "<version>" (the owner, or a receiver it was routed to)',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'the row',
      schema: z.extend(RowViewSchema, {
        owner: z.string(),
        deliveries: z.array(
          z.object({
            integrationId: z.string(),
            messageId: z.optional(z.string()),
            version: z.number(),
            /** queued, then delivered or failed when the delivery ends; skipped: the hop limit. */
            status: z.string(),
            at: z.string(),
            response: z.optional(z.string()),
            error: z.optional(z.string()),
          }),
        ),
      }),
    },
    404: 'unknown, or not the caller’s to read',
  },
} satisfies RouteDefinition;

export const listRows = {
  method: 'GET',
  path: '/v1/entities/{entity}',
  auth: 'apiKey',
  scope: 'entities',
  params: z.pick(RowPathSchema, { entity: true }),
  query: z.object({
    updatedSince: isoInstant,
    limit: wholeNumberParam(
      1,
      MAX_ROWS_PAGE,
      `limit must be an integer from 1 to ${MAX_ROWS_PAGE}.`,
      DEFAULT_ROWS_PAGE,
    ),
    cursor: z.optional(z.string()),
  }),
  handler: h('http/entities.ts', 'listRows'),
  summary: 'The caller’s own rows of an entity, oldest change first (limit ≤ 100, default 50; cursor paging)',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'a page of rows',
      schema: z.object({
        rows: z.array(RowViewSchema),
        nextCursor: z.optional(z.string()),
      }),
    },
    400: 'a bad entity name, updatedSince, limit or cursor',
  },
} satisfies RouteDefinition;

export const deleteRow = {
  method: 'DELETE',
  path: '/v1/entities/{entity}/{id}',
  auth: 'apiKey',
  scope: 'entities',
  params: RowPathSchema,
  handler: h('http/entities.ts', 'deleteRow'),
  summary: 'Delete a row (triggers nothing)',
  uses: ['messages:write'],
  responses: {
    204: 'deleted',
    404: 'unknown, or another partner’s',
  },
} satisfies RouteDefinition;
