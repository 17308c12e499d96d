import * as z from 'zod/mini';
import { APIIDS } from '../../core/replication.js';
import { THREEPL } from '../../http/faces/threepl.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { Answer } from './answer.js';

/** What became of a post's lines (handler: functions/http/threepl/communications.ts). */

const LineStatusSchema = z.enum(['received', 'duplicate', 'delivered', 'failed']);

export const getCommunication = {
  method: 'GET',
  path: '/v1/communications/{CommunicationID}',
  auth: 'bearerToken',
  face: THREEPL,
  params: z.object({ CommunicationID: z.string() }),
  handler: h('http/threepl/communications.ts', 'getCommunication'),
  summary: 'The processing result of a post and of each of its lines (the sending 3PL only)',
  uses: ['messages:read'],
  responses: {
    200: {
      description: 'the post and its lines',
      schema: z.object({
        ...Answer,
        CommunicationID: z.string(),
        Status: LineStatusSchema,
        ReceivedAt: z.string(),
        Lines: z.array(
          z.object({
            apiuuid: z.string(),
            apiid: z.enum(APIIDS),
            Status: LineStatusSchema,
            Errors: z.optional(z.array(z.string())),
          }),
        ),
      }),
    },
    404: 'unknown, or another partner’s',
  },
} satisfies RouteDefinition;
