import type { FailedDeliveries } from '../adapters/failed-deliveries.js';
import { MAX_FILTER_INTEGRATIONS } from '../adapters/failed-deliveries.js';
import type { JobRepository } from '../adapters/jobs.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { badRequest, notFound } from '../core/errors.js';
import type { Randomness } from '../core/random.js';
import {
  JOB_RETENTION_DAYS,
  jobView,
  REPLAY_LEASE_MS,
  REPLAY_PER_TICK,
  REPLAY_SLICE,
  REPLAY_TICK_BUDGET_MS,
  type ReplayFilter,
  type ReplayJob,
} from '../core/replay.js';
import { type AdminMessagePorts, restartDeliveries } from './admin-messages.js';

/**
 * The operator's replay of failed deliveries (POST /admin/messages/retry): counted when asked, then
 * worked as a job in slices by the minute tick (workers/row-sweep.ts), each delivery through the same
 * restart as a single message's retry.
 */

export interface ReplayRequest {
  since: string;
  until?: string | undefined;
  status?: 'failed' | undefined;
  integrationId?: string | undefined;
  receiver?: string | undefined;
  dryRun?: boolean | undefined;
}

export interface StartReplayPorts {
  failed: Pick<FailedDeliveries, 'count'>;
  jobs: Pick<JobRepository, 'create'>;
  registry: Pick<RegistryRepository, 'integrationsForReceiver'>;
  clock: Clock;
  random: Pick<Randomness, 'id'>;
}

/**
 * Counts the matching failed deliveries; unless it is a dry run, makes the job that restarts them.
 * `until` defaults to now, so the job's window is fixed when it is made and messages received later
 * are never part of it; the dry run's count is what the same request would restart.
 */
export async function startReplay(
  ports: StartReplayPorts,
  req: ReplayRequest,
): Promise<{ matched: number } | { jobId: string; matched: number }> {
  const now = ports.clock.now();
  const until = req.until ?? new Date(now).toISOString();
  if (req.since > until) throw badRequest('invalid_field', 'since is after until.');
  const filter: ReplayFilter = {
    since: req.since,
    until,
    ...(await integrationsOf(ports, req)),
  };
  const matched = await ports.failed.count(filter);
  if (req.dryRun) return { matched };
  const startedAt = new Date(now).toISOString();
  const job: ReplayJob = {
    id: ports.random.id('job', now),
    kind: 'messages.retry',
    status: matched === 0 ? 'done' : 'running',
    filter,
    matched,
    done: 0,
    failed: 0,
    startedAt,
    ...(matched === 0 ? { finishedAt: startedAt } : {}),
  };
  await ports.jobs.create(job, Math.floor(now / 1000) + JOB_RETENTION_DAYS * 86_400);
  return { jobId: job.id, matched };
}

/** The integrations a filter names: the one given, those routing to the receiver, or both (their overlap). */
async function integrationsOf(
  ports: Pick<StartReplayPorts, 'registry'>,
  req: ReplayRequest,
): Promise<Pick<ReplayFilter, 'integrationIds'>> {
  if (req.receiver === undefined) return req.integrationId ? { integrationIds: [req.integrationId] } : {};
  const routing = (await ports.registry.integrationsForReceiver(req.receiver)).map((i) => i.id);
  const ids = req.integrationId ? routing.filter((id) => id === req.integrationId) : routing;
  if (ids.length > MAX_FILTER_INTEGRATIONS) {
    throw badRequest(
      'invalid_field',
      `More than ${MAX_FILTER_INTEGRATIONS} integrations route to ${req.receiver}: name an integrationId too.`,
    );
  }
  return { integrationIds: ids };
}

/** GET /admin/jobs/{id}. */
export async function jobStatus(ports: { jobs: Pick<JobRepository, 'get'> }, id: string) {
  const job = await ports.jobs.get(id);
  if (!job) throw notFound(`Job ${id}`);
  return jobView(job);
}

export interface WorkJobsPorts extends AdminMessagePorts {
  jobs: Pick<JobRepository, 'running' | 'lease' | 'get' | 'advance' | 'release'>;
  failed: Pick<FailedDeliveries, 'page'>;
  clock: Clock;
}

/**
 * One tick's share of the running jobs: slices of REPLAY_SLICE deliveries, oldest job first, until
 * REPLAY_PER_TICK deliveries were looked at or REPLAY_TICK_BUDGET_MS has passed. Each job is leased
 * first, so two ticks never work the same job; a slice that throws (the queue unavailable) leaves
 * the job where it was, and its deliveries failed, for the next tick. Answers the deliveries restarted.
 */
export async function workReplayJobs(ports: WorkJobsPorts): Promise<number> {
  const started = ports.clock.now();
  let looked = 0;
  let restartedTotal = 0;
  for (const id of await ports.jobs.running(10)) {
    if (looked >= REPLAY_PER_TICK || ports.clock.now() - started >= REPLAY_TICK_BUDGET_MS) break;
    // The lease is this tick's token: every slice is written only while it still holds it.
    const lease = ports.clock.now() + REPLAY_LEASE_MS;
    if (!(await ports.jobs.lease(id, ports.clock.now(), lease))) continue;
    const job = await ports.jobs.get(id);
    if (!job) continue;
    let position = job.position;
    for (;;) {
      const page = await ports.failed.page(job.filter, position, REPLAY_SLICE);
      const { restarted, notRestarted } = await restartDeliveries(ports, page.items);
      restartedTotal += restarted.length;
      looked += page.items.length;
      position = page.next;
      const held = await ports.jobs.advance(
        id,
        { done: restarted.length, failed: notRestarted },
        position,
        new Date(ports.clock.now()).toISOString(),
        lease,
      );
      // Done, or the lease ran out and another tick works the job now (its slice was restarted all
      // the same: the restarts are conditional, so the other tick finds them no longer failed).
      if (!position || !held) break;
      if (looked >= REPLAY_PER_TICK || ports.clock.now() - started >= REPLAY_TICK_BUDGET_MS) {
        await ports.jobs.release(id, lease);
        return restartedTotal;
      }
    }
  }
  return restartedTotal;
}
