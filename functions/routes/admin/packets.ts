import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../../route-types.js';
import { wholeNumberParam } from '../schemas.js';

/**
 * The operator's views of the sync traffic of seeds 002 and 003: an app area's packets and a 3PL
 * post's communication (handler: functions/http/admin/packets.ts, one function for both).
 */

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
  handler: h('http/admin/packets.ts', 'syncViews'),
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

const LineStatusSchema = z.enum(['received', 'duplicate', 'delivered', 'failed']);

export const getCommunicationAsAdmin = {
  method: 'GET',
  path: '/admin/communications/{CommunicationID}',
  auth: 'admin',
  params: z.object({ CommunicationID: z.string().check(z.maxLength(128)) }),
  handler: h('http/admin/packets.ts', 'syncViews'),
  summary:
    'Any 3PL post (seed 002) by its CommunicationID: the partner that sent it and the status of each line, derived from its deliveries as GET /v1/communications/{id} does',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'the post and its lines',
      schema: z.object({
        partner: z.string(),
        CommunicationID: z.string(),
        Status: LineStatusSchema,
        ReceivedAt: z.string(),
        Lines: z.array(
          z.object({
            apiuuid: z.string(),
            apiid: z.string(),
            Status: LineStatusSchema,
            Errors: z.optional(z.array(z.string())),
          }),
        ),
      }),
    },
    404: 'unknown communication',
  },
} satisfies RouteDefinition;
