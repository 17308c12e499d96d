import * as z from 'zod/mini';
import type { ResourceUse } from '../../route-types.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { instant, requiredInstant, wholeNumberParam } from '../schemas.js';

/**
 * The operator's operations on the hub as a whole: the replay of failed deliveries and its job, the
 * delivery statistics, a partner's refused requests. One function serves them all (handler:
 * functions/http/admin/operations.ts, by route key), so each declares the function's uses.
 */

const OPS_USES: readonly ResourceUse[] = ['registry:read', 'messages:write'];
const OPS_HANDLER = h('http/admin/operations.ts', 'operations');

export const ReplayBodySchema = z.strictObject({
  since: requiredInstant('since'),
  until: z.optional(requiredInstant('until')),
  status: z.optional(z.enum(['failed'])),
  integrationId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  receiver: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  dryRun: z.optional(z.boolean()),
});

export const retryMessages = {
  method: 'POST',
  path: '/admin/messages/retry',
  auth: 'admin',
  body: ReplayBodySchema,
  handler: OPS_HANDLER,
  summary:
    'Start every failed delivery of a window again from attempt 1, as a job (or count them: dryRun). ' +
    'Matching reads the message log’s byDeliveryStatus index (failed, by the time the message was ' +
    'received), bounded by since and until (default: now), never the table; `receiver` means the ' +
    'integrations that route to that partner. The job is worked by the minute tick in slices of 100, ' +
    'at most 1,000 deliveries a minute for all jobs together, so a replay of 100,000 takes under two ' +
    'hours and live deliveries keep going between the replayed ones; a tick leases the job, so two ' +
    'never work it at once. Each delivery goes through the single-message retry’s conditional ' +
    'failed → queued transition: one already restarted or delivered is left alone, so a second ' +
    'replay of the same window restarts nothing twice, and a dry run counts exactly what the same ' +
    'request would restart.',
  uses: OPS_USES,
  responses: {
    200: { description: 'dryRun: how many deliveries match', schema: z.object({ matched: z.number() }) },
    202: {
      description: 'the job that restarts them (GET /admin/jobs/{id}), and how many matched',
      schema: z.object({ jobId: z.string(), matched: z.number() }),
    },
    400: 'a bad since or until, until before since, a status other than failed, an unknown field',
  },
} satisfies RouteDefinition;

export const JobSchema = z.object({
  id: z.string(),
  kind: z.enum(['messages.retry']),
  status: z.enum(['running', 'done']),
  matched: z.number(),
  done: z.number(),
  failed: z.number(),
  startedAt: z.string(),
  finishedAt: z.optional(z.string()),
});

export const getJob = {
  method: 'GET',
  path: '/admin/jobs/{id}',
  auth: 'admin',
  params: z.object({ id: z.string().check(z.maxLength(64)) }),
  handler: OPS_HANDLER,
  summary:
    'A job’s progress: `done` deliveries restarted, `failed` ones that could not be (their integration ' +
    'deleted, or no longer failed when their slice came). Jobs are kept 30 days.',
  uses: OPS_USES,
  responses: { 200: { description: 'the job', schema: JobSchema }, 404: 'unknown job' },
} satisfies RouteDefinition;

const IntegrationStatsSchema = z.object({
  integrationId: z.string(),
  delivered: z.number(),
  failed: z.number(),
  retrying: z.number(),
  lastSuccessAt: z.optional(z.string()),
  lastFailureAt: z.optional(z.string()),
  health: z.enum(['ok', 'disabled']),
});

export const getStats = {
  method: 'GET',
  path: '/admin/stats',
  auth: 'admin',
  query: z.object({ since: instant('since') }),
  handler: OPS_HANDLER,
  summary:
    'Delivery statistics since an instant (default: 24 hours ago), from hourly counters that the hub ' +
    'bumps with one atomic ADD where a message is accepted and where a delivery ends, so a window ' +
    'costs its hours (a few small items each), never the table. Counted by whole hours: the answer’s ' +
    '`since` is the start of the hour that holds the one asked for. The counters are kept 90 days: an ' +
    'older since is 400 (not clamped, so a total never silently covers less than was asked). ' +
    '`accepted`, `delivered` and `failed` count what happened in the window (an operator’s retry ' +
    'that fails again counts again); `retrying` and `held` are the deliveries now waiting for another ' +
    'attempt, or held, of messages received in the window (the byDeliveryStatus index, which the retry ' +
    'schedule bounds); `oldestUndeliveredAt` is when the oldest message with a delivery still queued, ' +
    'retrying or held was received, in or before the window. `integrations` lists each integration ' +
    'with anything in the window; `health` is `disabled` when the hub switched it off for failing.',
  uses: OPS_USES,
  responses: {
    200: {
      description: 'the window’s totals and each integration’s',
      schema: z.object({
        since: z.string(),
        accepted: z.number(),
        delivered: z.number(),
        failed: z.number(),
        retrying: z.number(),
        held: z.number(),
        oldestUndeliveredAt: z.optional(z.string()),
        integrations: z.array(IntegrationStatsSchema),
      }),
    },
    400: 'a since that is not an ISO 8601 instant, in the future, or older than 90 days',
  },
} satisfies RouteDefinition;

export const listRefusedRequests = {
  method: 'GET',
  path: '/admin/partners/{code}/requests',
  auth: 'admin',
  params: z.object({ code: z.string().check(z.maxLength(64)) }),
  query: z.object({
    limit: wholeNumberParam(1, 100, 'limit must be an integer from 1 to 100.', 50),
  }),
  handler: OPS_HANDLER,
  summary:
    'A partner’s refused requests (4xx) of the last 7 days, newest first (limit ≤ 100, default 50), ' +
    'so the operator can tell it why it was turned away. Every route a partner calls with a key or ' +
    'a 3PL token keeps what it refuses: one small item with a 7-day TTL per refused request, written ' +
    'by the edge after the answer is made; an accepted request costs nothing. A request is listed ' +
    'under the partner it authenticated as; else the owner of the key it presented (a key without ' +
    'the scope, or a body refused before the key was read); else the partner its `sender` or its ' +
    'path’s app area names, if that partner exists; else it is not kept. Kept: the method, the path ' +
    'without its query (seed 000 allows the key there), the status, the error code and the user ' +
    'agent (each path and user agent cut at 256 characters); never a key, a token or a header.',
  uses: OPS_USES,
  responses: {
    200: {
      description: 'the refused requests, newest first',
      schema: z.object({
        requests: z.array(
          z.object({
            at: z.string(),
            method: z.string(),
            path: z.string(),
            status: z.number(),
            code: z.string(),
            userAgent: z.optional(z.string()),
          }),
        ),
      }),
    },
    400: 'a bad limit',
    404: 'unknown partner',
  },
} satisfies RouteDefinition;
