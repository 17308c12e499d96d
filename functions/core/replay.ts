/**
 * A replay: the operator's retry of every failed delivery in a window (POST /admin/messages/retry), run
 * as a job in slices (usecases/replay.ts). Rules only; the job item lives in the messages table.
 */

/** Deliveries one slice looks at: one Query page of the failed-deliveries index. */
export const REPLAY_SLICE = 100;
/**
 * The most deliveries all running jobs restart in one tick of the minute schedule. At 1,000 a minute
 * (about 17 a second) a replay of 100,000 takes under two hours, and the delivery workers (20 at once)
 * keep taking live jobs between the replayed ones instead of working through one long backlog first.
 */
export const REPLAY_PER_TICK = 1000;
/** A tick stops starting slices after this long, well within its 60 s timeout. */
export const REPLAY_TICK_BUDGET_MS = 40_000;
/** How long a tick holds a job: longer than a tick can run, so two ticks never work one job at once. */
export const REPLAY_LEASE_MS = 90_000;
/** How long a job's record is kept after it started. */
export const JOB_RETENTION_DAYS = 30;

/**
 * Which failed deliveries a replay restarts: those of messages received from `since` to `until` (both
 * inclusive, ISO), of the integrations named when `integrationIds` is set (an integration's id, or
 * the integrations that route to a receiver).
 */
export interface ReplayFilter {
  since: string;
  until: string;
  integrationIds?: string[];
}

export type JobStatus = 'running' | 'done';

export interface ReplayJob {
  id: string;
  kind: 'messages.retry';
  status: JobStatus;
  filter: ReplayFilter;
  /** Failed deliveries that matched when the job was made. */
  matched: number;
  /** Deliveries restarted so far. */
  done: number;
  /** Deliveries that could not be restarted (their integration deleted, or no longer failed). */
  failed: number;
  startedAt: string;
  finishedAt?: string;
}

/** What GET /admin/jobs/{id} answers. */
export function jobView(job: ReplayJob) {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    matched: job.matched,
    done: job.done,
    failed: job.failed,
    startedAt: job.startedAt,
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
  };
}

/** Whether a delivery of `integrationId` is one the filter names. */
export const inFilter = (filter: ReplayFilter, integrationId: string): boolean =>
  !filter.integrationIds || filter.integrationIds.includes(integrationId);
