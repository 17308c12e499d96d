import type { DeliveryJob, DeliveryQueue } from '../adapters/delivery-queue.js';
import type { InFlightPermits } from '../adapters/in-flight.js';
import type { Random } from '../core/clock.js';
import { batchSizeCanBind } from '../core/delivery-policy.js';
import { logger, recordMetric } from '../observability.js';
import { DEFAULT_TIMEOUT_MS, type DeliverPorts, deliverOnce, type JobResult } from './deliver.js';

/** One received queue message of the delivery queues, as the batch sees it. */
export interface QueuedJob {
  /** The queue's id of the message: what is handed back when it is not done. */
  id: string;
  receiptHandle: string;
  job: DeliveryJob;
  /** The FIFO message group (the integration) of an ordered job; absent on the standard queue. */
  group?: string | undefined;
  /** When the queue received this message (epoch ms; SQS's SentTimestamp). */
  sentAt?: number | undefined;
}

/** What a batch of delivery jobs needs beyond one attempt's ports. */
export interface DeliverBatchPorts extends DeliverPorts {
  permits: Pick<InFlightPermits, 'acquire' | 'release'>;
  queue: Pick<DeliveryQueue, 'enqueue' | 'postpone'>;
  /** A new, unguessable holder name for one take of permits. */
  token: () => string;
  /**
   * The most jobs the standard queue's event source can have in flight at once (its maximum
   * concurrency times its batch size), read at each batch; undefined when unknown, and then every
   * parallel integration's permits are taken.
   */
  maxInFlight?: () => number | undefined;
}

/** Time an ordered job needs left before it starts: the longest call plus a margin. */
const ORDERED_START_MARGIN_MS = 30_000 + 5_000;

/**
 * Delivers one batch received from the delivery queues and returns the ids of the queue messages to
 * hand back (batch item failures). Jobs of parallel integrations run concurrently, so one slow partner
 * does not hold up the others, and the jobs of one integration share the permits taken for them in one
 * write; those that found no free permit wait a second or two. Ordered (FIFO) jobs run one after
 * another within their group, and once one is not done the rest of its group is handed back
 * untouched, as Lambda does for FIFO queues. `deadline` is when the invocation ends (epoch ms).
 */
export async function deliverBatch(
  ports: DeliverBatchPorts,
  jobs: readonly QueuedJob[],
  deadline?: number,
): Promise<string[]> {
  const handBack: string[] = [];
  const settle = settler(ports, handBack);
  const groups = new Map<string, QueuedJob[]>();
  const byIntegration = new Map<string, QueuedJob[]>();
  for (const queued of jobs) {
    const into = queued.group ? groups : byIntegration;
    const key = queued.group ?? queued.job.integrationId;
    into.set(key, [...(into.get(key) ?? []), queued]);
  }
  const holder = ports.token();
  await Promise.all([
    ...[...byIntegration].map(([integrationId, queued], i) =>
      deliverParallel(ports, settle, handBack, integrationId, queued, `${holder}${i}`, deadline),
    ),
    ...[...groups].map(([integrationId, queued]) =>
      deliverOrdered(ports, settle, handBack, integrationId, queued, deadline),
    ),
  ]);
  return handBack;
}

type Settle = (queued: QueuedJob, run: () => Promise<JobResult>) => Promise<boolean>;

/**
 * Settles one queue message with its job's result; true when it may be deleted. A job that must wait
 * (a retry not yet due) is hidden until its time and handed back, so the queue keeps it; one waiting
 * for a permit is replaced by a fresh delayed copy, which carries no receive count (the queue's
 * maxReceiveCount is kept for crashes). What throws is logged and handed back.
 */
function settler(ports: DeliverBatchPorts, handBack: string[]): Settle {
  return async (queued, run) => {
    const ordered = Boolean(queued.group);
    try {
      const result = await run();
      if (result.kind === 'done') return true;
      if (result.kind === 'requeue' && !ordered) {
        const { messageId, integrationId } = queued.job;
        const { delaySeconds, waitingSince } = result;
        await ports.queue.enqueue([
          { messageId, integrationId, ordered, delaySeconds, ...(waitingSince ? { waitingSince } : {}) },
        ]);
        return true;
      }
      // A retry that is not due yet waits in place (a FIFO copy would also be dropped as a duplicate
      // within SQS's five-minute window).
      if (result.kind === 'later' || result.kind === 'requeue') {
        await ports.queue.postpone(queued.receiptHandle, result.delaySeconds, ordered);
      }
    } catch (e) {
      logger.error('delivery job failed', { messageId: queued.id, error: e as Error });
    }
    handBack.push(queued.id);
    return false;
  };
}

async function deliverParallel(
  ports: DeliverBatchPorts,
  settle: Settle,
  handBack: string[],
  integrationId: string,
  queued: QueuedJob[],
  holder: string,
  deadline: number | undefined,
) {
  let permits: Permits;
  try {
    permits = await takePermits(ports, integrationId, queued.length, holder, deadline);
  } catch (e) {
    logger.error('could not take in-flight permits', { integrationId, error: e as Error });
    handBack.push(...queued.map((q) => q.id));
    return;
  }
  // A job that waits for a permit is undelivered all the same: its age since it was first queued
  // counts in OldestUndeliveredAgeMs (its fresh copy's queue age would start over).
  const now = ports.clock.now();
  const waiting = queued.slice(permits.granted);
  const since = (q: QueuedJob) => q.job.waitingSince ?? q.sentAt ?? now;
  if (waiting.length > 0)
    recordMetric('OldestUndeliveredAgeMs', Math.max(0, now - Math.min(...waiting.map(since))));
  const wait = (q: QueuedJob) => async (): Promise<JobResult> => ({
    kind: 'requeue',
    delaySeconds: requeueDelaySeconds(ports.random),
    waitingSince: since(q),
  });
  try {
    await Promise.all(
      queued.map((q, j) => settle(q, j < permits.granted ? () => deliverOnce(ports, q.job) : wait(q))),
    );
  } finally {
    await permits.release().catch((e: unknown) => {
      // Not fatal: the permits free themselves when their time runs out.
      logger.warn('could not give back in-flight permits', { integrationId, error: e as Error });
    });
  }
}

async function deliverOrdered(
  ports: DeliverBatchPorts,
  settle: Settle,
  handBack: string[],
  integrationId: string,
  queued: QueuedJob[],
  deadline: number | undefined,
) {
  try {
    // The integration was switched to parallel while these jobs queued: order no longer binds them,
    // and the standard queue counts them against its cap like the rest.
    if (!(await stillOrdered(ports, integrationId))) {
      await ports.queue.enqueue(queued.map((q) => ({ ...q.job, ordered: false })));
      return;
    }
  } catch (e) {
    logger.error('could not move ordered jobs to the standard queue', { integrationId, error: e as Error });
    handBack.push(...queued.map((q) => q.id));
    return;
  }
  for (const [i, q] of queued.entries()) {
    // One after another, a group could outlast the function's timeout mid-attempt: hand back what
    // would not have time to finish.
    const timeLeft = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - ports.clock.now();
    const late = timeLeft < ORDERED_START_MARGIN_MS;
    if (late || !(await settle(q, () => deliverOnce(ports, q.job)))) {
      handBack.push(...queued.slice(late ? i : i + 1).map((rest) => rest.id));
      return;
    }
  }
}

/** Without an invocation deadline, permits are held a little longer than a call can take. */
const PERMIT_MARGIN_MS = 5_000;

export interface Permits {
  /** How many of the jobs may make their attempt now; the rest wait (`requeue`). */
  granted: number;
  release: () => Promise<void>;
}

/**
 * Takes in-flight permits for `wanted` jobs of one integration that arrived in one batch: a `parallel`
 * integration keeps at most batchSize attempts in flight, counted by one conditional write per batch.
 * The permits are held until `deadline` (the invocation's end, which no attempt of it outlives), so a
 * worker that dies frees them then. Ordered integrations come from a FIFO group, which already holds
 * one at a time, and jobs whose integration is gone need no permit (deliverOnce closes them). Nor
 * does an integration whose batchSize cannot bind (core/delivery-policy.ts batchSizeCanBind): no more
 * of its jobs than batchSize can be in flight, so the count would never refuse one. Skipping it
 * changes nothing else: each attempt is still claimed by number before it is made, so attempts
 * never exceed maxAttempts, whoever holds a permit.
 */
export async function takePermits(
  ports: Pick<DeliverPorts, 'integration' | 'clock'> & Pick<DeliverBatchPorts, 'permits' | 'maxInFlight'>,
  integrationId: string,
  wanted: number,
  holder: string,
  deadline?: number,
): Promise<Permits> {
  const integration = await ports.integration(integrationId);
  if (
    !integration ||
    integration.parallel === false ||
    !batchSizeCanBind(integration.batchSize, ports.maxInFlight?.())
  ) {
    return { granted: wanted, release: async () => {} };
  }
  const now = ports.clock.now();
  const until = deadline ?? now + (integration.delivery?.timeoutMs ?? DEFAULT_TIMEOUT_MS) + PERMIT_MARGIN_MS;
  const granted = await ports.permits.acquire(
    integrationId,
    holder,
    wanted,
    integration.batchSize,
    now,
    until,
  );
  return {
    granted,
    release: () => (granted > 0 ? ports.permits.release(integrationId, holder, granted) : Promise.resolve()),
  };
}

/**
 * Whether an integration's jobs from the FIFO queue are still to be delivered in order. False once
 * the operator switched it to parallel: those jobs then belong in the standard queue, under the cap.
 * A deleted integration stays ordered here (deliverOnce closes its deliveries).
 */
export async function stillOrdered(ports: Pick<DeliverPorts, 'integration'>, integrationId: string) {
  const integration = await ports.integration(integrationId);
  return !integration || integration.parallel === false;
}

/** How long a job that found no free permit waits before it is looked at again. */
export const requeueDelaySeconds = (random: Random) => 1 + Math.round(random() * 2);
