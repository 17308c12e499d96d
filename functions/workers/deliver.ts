import { randomBytes } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeliveryJob } from '../adapters/delivery-queue.js';
import { postOutbound } from '../adapters/outbound-http.js';
import { systemClock } from '../core/clock.js';
import { deliveryQueue, inFlight, messages, payloads, registry, settings } from '../deps.js';
import { logger } from '../observability.js';
import {
  cachedIntegrations,
  deliverOnce,
  type JobResult,
  type Permits,
  requeueDelaySeconds,
  stillOrdered,
  takePermits,
} from '../usecases/deliver.js';
import { parseJob } from './jobs.js';

/**
 * Consumes the delivery queue. A job that must wait (a retry not yet due) is hidden until its time
 * with ChangeMessageVisibility and reported as a batch item failure, so SQS keeps it; the queue's
 * redrive policy catches what crashes repeatedly.
 */
const integrations = cachedIntegrations((id) => registry().getIntegration(id), systemClock);

/** Time an ordered record needs left before it starts: the longest call plus a margin. */
const ORDERED_START_MARGIN_MS = 30_000 + 5_000;

export async function handler(
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SQSBatchResponse> {
  const { ALLOW_LOOPBACK_OUTBOUND, PUBLIC_BASE_URL } = settings();
  const ports = {
    integration: integrations,
    messages: messages(),
    permits: inFlight(),
    payloads: payloads(),
    send: (req: Parameters<typeof postOutbound>[0]) => postOutbound(req, ALLOW_LOOPBACK_OUTBOUND),
    clock: systemClock,
    random: Math.random,
    publicBaseUrl: PUBLIC_BASE_URL ?? '',
  };
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  /** Settles one record with the job's result; true when its queue message may be deleted. */
  const settle = async (record: SQSRecord, job: DeliveryJob, run: () => Promise<JobResult>) => {
    const ordered = Boolean(record.attributes.MessageGroupId);
    try {
      const result = await run();
      if (result.kind === 'done') return true;
      if (result.kind === 'requeue' && !ordered) {
        // A fresh copy carries no receive count; this one is then deleted.
        await deliveryQueue().enqueue([{ ...job, ordered, delaySeconds: result.delaySeconds }]);
        return true;
      }
      // A retry that is not due yet waits in place (a FIFO copy would also be dropped as a duplicate
      // within SQS's five-minute window).
      if (result.kind === 'later' || result.kind === 'requeue') {
        await deliveryQueue().postpone(record.receiptHandle, result.delaySeconds, ordered);
      }
    } catch (e) {
      logger.error('delivery job failed', { messageId: record.messageId, error: e as Error });
    }
    failures.push({ itemIdentifier: record.messageId });
    return false;
  };
  const deliver = (record: SQSRecord, job: DeliveryJob) => settle(record, job, () => deliverOnce(ports, job));

  // FIFO records (ordered integrations) run one after another within their group, and once one is not
  // done the rest of its group is handed back untouched, as Lambda does for FIFO queues. Everything
  // else runs concurrently, so one slow partner does not hold up the others in the batch; the jobs of
  // one parallel integration share the permits taken for them in one write.
  const groups = new Map<string, { record: SQSRecord; job: DeliveryJob }[]>();
  const byIntegration = new Map<string, { record: SQSRecord; job: DeliveryJob }[]>();
  for (const record of event.Records) {
    const job = parseJob(record.body);
    if (!job) {
      logger.error('dropping a malformed delivery job', { messageId: record.messageId });
      continue;
    }
    const group = record.attributes.MessageGroupId;
    const into = group ? groups : byIntegration;
    const key = group ?? job.integrationId;
    into.set(key, [...(into.get(key) ?? []), { record, job }]);
  }
  const holder = randomBytes(6).toString('base64url');
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() : undefined;
  /** A job that found no free permit waits a second or two. */
  const wait = (record: SQSRecord, job: DeliveryJob) =>
    settle(record, job, async () => ({ kind: 'requeue', delaySeconds: requeueDelaySeconds(Math.random) }));

  await Promise.all([
    ...[...byIntegration].map(async ([integrationId, jobs], i) => {
      let permits: Permits;
      try {
        permits = await takePermits(ports, integrationId, jobs.length, `${holder}${i}`, deadline);
      } catch (e) {
        logger.error('could not take in-flight permits', { integrationId, error: e as Error });
        for (const { record } of jobs) failures.push({ itemIdentifier: record.messageId });
        return;
      }
      try {
        await Promise.all(
          jobs.map(({ record, job }, j) => (j < permits.granted ? deliver(record, job) : wait(record, job))),
        );
      } finally {
        await permits.release().catch((e: unknown) => {
          // Not fatal: the permits free themselves when their time runs out.
          logger.warn('could not give back in-flight permits', { integrationId, error: e as Error });
        });
      }
    }),
    ...[...groups].map(async ([integrationId, records]) => {
      try {
        // The integration was switched to parallel while these jobs queued: order no longer binds
        // them, and the standard queue counts them against its cap like the rest.
        if (!(await stillOrdered(ports, integrationId))) {
          await deliveryQueue().enqueue(records.map(({ job }) => ({ ...job, ordered: false })));
          return;
        }
      } catch (e) {
        logger.error('could not move ordered jobs to the standard queue', {
          integrationId,
          error: e as Error,
        });
        for (const { record } of records) failures.push({ itemIdentifier: record.messageId });
        return;
      }
      for (const [i, { record, job }] of records.entries()) {
        // One after another, a group could outlast the function's timeout mid-attempt: hand back
        // what would not have time to finish.
        const timeLeft = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
        if (timeLeft < ORDERED_START_MARGIN_MS || !(await deliver(record, job))) {
          if (timeLeft < ORDERED_START_MARGIN_MS) failures.push({ itemIdentifier: record.messageId });
          for (const rest of records.slice(i + 1)) failures.push({ itemIdentifier: rest.record.messageId });
          return;
        }
      }
    }),
  ]);
  return { batchItemFailures: failures };
}
