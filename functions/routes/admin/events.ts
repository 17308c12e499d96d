import * as z from 'zod/mini';
import { OPERATIONAL_EVENT_TYPES } from '../../core/events.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { instant, wholeNumberParam } from '../schemas.js';

/** The operator's operational events (handler: functions/http/admin/events.ts; core/events.ts). */

const EventSchema = z.object({
  id: z.string(),
  type: z.enum(OPERATIONAL_EVENT_TYPES),
  at: z.string(),
  integrationId: z.optional(z.string()),
  messageId: z.optional(z.string()),
  partner: z.optional(z.string()),
  detail: z.string(),
});

export const listEvents = {
  method: 'GET',
  path: '/admin/events',
  auth: 'admin',
  query: z.object({
    since: instant('since'),
    type: z.optional(z.enum(OPERATIONAL_EVENT_TYPES)),
    limit: wholeNumberParam(1, 100, 'limit must be an integer from 1 to 100.', 50),
    cursor: z.optional(z.string().check(z.maxLength(2048))),
  }),
  handler: h('http/admin/events.ts', 'listEvents'),
  summary:
    'Operational events of the last 30 days, newest first, by type and since, paged by cursor (limit ≤ 100, default 50)',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'a page of events and the cursor of the next, if any',
      schema: z.object({ events: z.array(EventSchema), nextCursor: z.optional(z.string()) }),
    },
    400: 'a bad type, since, limit or cursor',
  },
} satisfies RouteDefinition;
