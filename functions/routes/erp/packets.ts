import * as z from 'zod/mini';
import { DEFAULT_VISIBILITY_SECONDS, MAX_LEASE_BATCH, MAX_VISIBILITY_SECONDS } from '../../core/lease.js';
import { DoneQuerySchema, PullQuerySchema } from '../../core/packet.js';
import { PACKETS } from '../../http/faces/packets.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { DONE, LISTED, leaseQuery } from './listing.js';
import { AreaParams, PacketTypeSchema } from './shared.js';

/** Seed 003's ERP routes over packet records, also under /mobile/erp (handlers: functions/http/erp/packets.ts). */

export const status = {
  method: 'GET',
  path: '/erp/status/{appArea}/{syncLogId}',
  auth: 'apiKey',
  scope: 'erp',
  face: PACKETS,
  params: z.object({ appArea: z.string(), syncLogId: z.string() }),
  handler: h('http/erp/packets.ts', 'status'),
  summary: 'A packet’s status (awaiting, ready, done, failed) and why it failed',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'the packet',
      schema: z.object({
        success: z.literal(true),
        syncLogId: z.string(),
        status: z.enum(['awaiting', 'ready', 'done', 'failed']),
        error: z.optional(z.string()),
        note: z.optional(z.string()),
        direction: z.enum(['toDevice', 'toErp']),
        mobileUser: z.string(),
        packetUniqueId: z.string(),
        packetType: PacketTypeSchema,
        size: z.number(),
        createdAt: z.string(),
      }),
    },
    404: 'unknown, expired, or another area’s',
  },
} satisfies RouteDefinition;

export const pull = {
  method: 'GET',
  path: '/erp/pull/{appArea}',
  auth: 'apiKey',
  scope: 'erp',
  face: PACKETS,
  params: AreaParams,
  query: z.extend(PullQuerySchema, leaseQuery),
  handler: h('http/erp/packets.ts', 'pull'),
  summary: `Lease the area’s ready device→ERP packets (packetType packet|file, format json|xml, limit ≤ ${MAX_LEASE_BATCH}, visibilityTimeout 1–${MAX_VISIBILITY_SECONDS} s, default ${DEFAULT_VISIBILITY_SECONDS})`,
  uses: ['messages:write'],
  responses: {
    200: LISTED,
    400: 'bad packetType, format, limit or visibilityTimeout',
  },
} satisfies RouteDefinition;

export const done = {
  method: 'POST',
  path: '/erp/pull/{appArea}/done',
  auth: 'apiKey',
  scope: 'erp',
  face: PACKETS,
  params: AreaParams,
  query: DoneQuerySchema,
  rawBody: 'application/json, application/xml',
  handler: h('http/erp/packets.ts', 'done'),
  summary:
    'Complete leased packets: JSON [{"id","receiptHandle"}] or XML <messages><message><id/><receiptHandle/></message></messages>',
  uses: ['messages:write'],
  responses: { 200: DONE, 400: 'malformed body (nothing is done)' },
} satisfies RouteDefinition;
