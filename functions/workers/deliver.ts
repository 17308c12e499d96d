import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { DeliveryJob } from '../adapters/delivery-queue.js';
import { postOutbound } from '../adapters/outbound-http.js';
import { systemClock } from '../core/clock.js';
import { deliveryQueue, inFlight, messages, payloads, registry, settings } from '../deps.js';
import {
  cachedIntegrations,
  deliverOnce,
  type JobResult,
  type Permits,
  requeueDelaySeconds,
  takePermits,
} from '../usecases/deliver.js';
import { parseJob } from './jobs.js';

const logger = new Logger({ serviceName: 'crossdock' });

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
      // A FIFO copy would be dropped as a duplicate within SQS's five-minute window: an ordered job
      // (an integration switched to parallel while it queued) waits in place instead.
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
  /** Runs `work` with in-flight permits for `wanted` of an integration's jobs, given back afterwards. */
  const withPermits = async (
    integrationId: string,
    jobs: readonly { record: SQSRecord }[],
    wanted: number,
    work: (granted: number) => Promise<unknown>,
  ) => {
    let permits: Permits;
    try {
      permits = await takePermits(ports, integrationId, wanted, holder, deadline);
    } catch (e) {
      logger.error('could not take in-flight permits', { integrationId, error: e as Error });
      for (const { record } of jobs) failures.push({ itemIdentifier: record.messageId });
      return;
    }
    try {
      await work(permits.granted);
    } finally {
      await permits.release().catch((e: unknown) => {
        // Not fatal: the permits free themselves when their time runs out.
        logger.warn('could not give back in-flight permits', { integrationId, error: e as Error });
      });
    }
  };
  /** A job that found no free permit waits a second or two. */
  const wait = (record: SQSRecord, job: DeliveryJob) =>
    settle(record, job, async () => ({ kind: 'requeue', delaySeconds: requeueDelaySeconds(Math.random) }));

  await Promise.all([
    ...[...byIntegration].map(([integrationId, jobs]) =>
      withPermits(integrationId, jobs, jobs.length, (granted) =>
        Promise.all(
          jobs.map(({ record, job }, i) => (i < granted ? deliver(record, job) : wait(record, job))),
        ),
      ),
    ),
    // An ordered group takes no permit, unless its integration was switched to parallel while these
    // jobs were queued: then they count against its cap too, one at a time.
    ...[...groups.values()].map((records) =>
      withPermits(records[0]?.job.integrationId ?? '', records, 1, async (granted) => {
        for (const [i, { record, job }] of records.entries()) {
          // One after another, a group could outlast the function's timeout mid-attempt: hand back
          // what would not have time to finish.
          const timeLeft = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
          const late = timeLeft < ORDERED_START_MARGIN_MS;
          if (late || granted === 0 || !(await deliver(record, job))) {
            if (late) failures.push({ itemIdentifier: record.messageId });
            else if (granted === 0) await wait(record, job);
            for (const rest of records.slice(i + 1)) failures.push({ itemIdentifier: rest.record.messageId });
            return;
          }
        }
      }),
    ),
  ]);
  return { batchItemFailures: failures };
}
