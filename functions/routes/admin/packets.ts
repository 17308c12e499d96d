import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../../route-types.js';
import { wholeNumberParam } from '../schemas.js';

/** The operator's view of an app area's sync packets (handler: functions/http/admin/packets.ts; seed 003). */

const PacketEntrySchema = z.object({
  syncLogId: z.string(),
  appArea: z.string(),
  mobileUser: z.string(),
  direction: z.enum(['toDevice', 'toErp']),
  packetType: z.enum(['xml', 'json', 'file']),
  packetUniqueId: z.string(),
  size: z.number(),
  status: z.enum(['awaiting', 'ready', 'done', 'failed']),
  error: z.optional(z.string()),
  note: z.optional(z.string()),
  createdAt: z.string(),
  readyAt: z.optional(z.string()),
  doneAt: z.optional(z.string()),
});

export const listPackets = {
  method: 'GET',
  path: '/admin/packets/{appArea}',
  auth: 'admin',
  params: z.object({ appArea: z.string().check(z.maxLength(128)) }),
  query: z.object({
    status: z.optional(z.enum(['awaiting', 'ready', 'done', 'failed'])),
    limit: wholeNumberParam(1, 100, 'limit must be an integer from 1 to 100.', 50),
    cursor: z.optional(z.string().check(z.maxLength(2048))),
  }),
  handler: h('http/admin/packets.ts', 'listPackets'),
  summary:
    'An app area’s sync packets, newest first, with each failed one’s reason; by status (a filter on each page read, so a page may hold fewer than limit and its cursor goes on), paged by cursor (limit ≤ 100, default 50). An unknown area is an empty list.',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'a page of packets and the cursor of the next, if any',
      schema: z.object({ packets: z.array(PacketEntrySchema), nextCursor: z.optional(z.string()) }),
    },
    400: 'a bad status, limit or cursor',
  },
} satisfies RouteDefinition;
