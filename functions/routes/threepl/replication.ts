import * as z from 'zod/mini';
import { MAX_LINES, MAX_REPLICATION_BODY_BYTES, ReplicationPostSchema } from '../../core/replication.js';
import { THREEPL } from '../../http/faces/threepl.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { Answer } from './answer.js';

/** Seed 002's replication posts (handler: functions/http/threepl/replication.ts). */

export const replicationPost = {
  method: 'POST',
  path: '/v1/replicationpost',
  auth: 'bearerToken',
  face: THREEPL,
  body: ReplicationPostSchema,
  maxBodyBytes: MAX_REPLICATION_BODY_BYTES,
  bodyTooLargeHint: `Send at most ${MAX_LINES} lines per post, in several posts if need be.`,
  handler: h('http/threepl/replication.ts', 'replicationPost'),
  summary: 'Replication lines (pallets, orders, loadouts) for delivery through the 3PL’s integrations',
  // The same resources as POST /v1/messages: lines go through the same storeMessage.
  uses: ['messages:write', 'payloads:write', 'deliveryQueue:send', 'orderedDeliveryQueue:send'],
  responses: {
    200: { description: 'the post’s id', schema: z.object({ ...Answer, CommunicationID: z.string() }) },
    400: 'incomplete input: the message and Errors name the line and field',
    402: 'input in order, not processed: no integration carries the lines (nothing is written)',
    413: `body over ${MAX_REPLICATION_BODY_BYTES / 1024 / 1024} MiB`,
  },
  memoryMb: 512,
} satisfies RouteDefinition;
