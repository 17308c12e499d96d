import * as z from 'zod/mini';
import {
  DEFAULT_VISIBILITY_SECONDS,
  DoneBodySchema,
  MAX_LEASE_BATCH,
  MAX_VISIBILITY_SECONDS,
} from '../core/lease.js';
import { h, type RouteDefinition } from '../route-types.js';
import { DoneResultSchema, wholeNumberParam } from './schemas.js';

/** A receiver's mailbox of pull deliveries (handlers: functions/http/inbox.ts). */

export const getInbox = {
  method: 'GET',
  path: '/v1/inbox',
  auth: 'apiKey',
  scope: 'messages',
  query: z.object({
    apikey: z.optional(z.string()),
    limit: wholeNumberParam(1, MAX_LEASE_BATCH, `limit must be an integer from 1 to ${MAX_LEASE_BATCH}.`, 10),
    visibilityTimeout: wholeNumberParam(
      1,
      MAX_VISIBILITY_SECONDS,
      `visibilityTimeout must be an integer number of seconds from 1 to ${MAX_VISIBILITY_SECONDS}.`,
      DEFAULT_VISIBILITY_SECONDS,
      true,
    ),
  }),
  handler: h('http/inbox.ts', 'getInbox'),
  summary:
    'Lease the receiver’s waiting pull deliveries (limit ≤ 100, visibilityTimeout 1–43200 s, default 900)',
  uses: ['messages:write'],
  responses: {
    200: {
      description: 'the leased messages',
      schema: z.object({
        messages: z.array(
          z.object({
            id: z.string(),
            receiptHandle: z.string(),
            sender: z.string(),
            doctype: z.string(),
            version: z.string(),
            size: z.number(),
            receivedAt: z.string(),
          }),
        ),
      }),
    },
    400: 'bad limit or visibilityTimeout',
  },
} satisfies RouteDefinition;

export const inboxDone = {
  method: 'POST',
  path: '/v1/inbox/done',
  auth: 'apiKey',
  scope: 'messages',
  body: DoneBodySchema,
  handler: h('http/inbox.ts', 'inboxDone'),
  summary:
    'Complete leased deliveries; stale handles and unknown ids are listed in failed, the rest are done',
  uses: ['messages:write'],
  responses: {
    200: {
      description: '{"success":true} or {"success":false,"failed":[{"id","error"}]}',
      schema: DoneResultSchema,
    },
    400: 'malformed body',
  },
} satisfies RouteDefinition;
