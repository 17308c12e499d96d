import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { postOutbound } from '../adapters/outbound-http.js';
import { randomToken, systemClock, systemRandom } from '../core/clock.js';
import {
  deliveryQueue,
  deliveryStats,
  enablements,
  eventSink,
  inFlight,
  maxRecordsInFlight,
  messages,
  payloads,
  registry,
  rowAdapters,
  settings,
} from '../deps.js';
import { logger, withMetrics } from '../observability.js';
import { cachedIntegrations } from '../usecases/deliver.js';
import { type DeliverBatchPorts, deliverBatch, type QueuedJob } from '../usecases/deliver-batch.js';
import { applyDocument, type EntityPorts, recordDeliveryEnd } from '../usecases/entities.js';
import { type ReleasePorts, releaseHeld } from '../usecases/health.js';
import { batchResponse } from './batch.js';
import { parseJob, parseRelease } from './jobs.js';

/**
 * Consumes both delivery queues: parse the records, deliver the batch, hand back what is not done.
 * Release jobs (an integration enabled again: send its held deliveries) are handled beside the batch.
 * The batch's metrics are published once, when it is done, and so are its statistics: the deliveries
 * it ended are counted with one write per integration and hour, not one per delivery.
 */
export const handler = withMetrics(
  (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> =>
    deliveryStats().gatherEnded(() => deliverJobs(event, context)),
);

async function deliverJobs(
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SQSBatchResponse> {
  const deadline = context ? systemClock.now() + context.getRemainingTimeInMillis() : undefined;
  const releases = event.Records.flatMap((r) => {
    const integrationId = parseRelease(r.body);
    return integrationId ? [{ id: r.messageId, integrationId }] : [];
  });
  const released = new Set(releases.map((r) => r.id));
  const [handBack, releaseFailures] = await Promise.all([
    deliverBatch(
      ports(),
      event.Records.filter((r) => !released.has(r.messageId)).flatMap(queuedJob),
      deadline,
    ),
    Promise.all(releases.map(release)),
  ]);
  return batchResponse([...handBack, ...releaseFailures.flat()]);
}

/** One release job: a slice of the integration's held deliveries goes out; a failure comes back. */
async function release(job: { id: string; integrationId: string }): Promise<string[]> {
  try {
    const { released, more } = await releaseHeld(ports(), job.integrationId);
    if (released > 0)
      logger.info('released held deliveries', { integrationId: job.integrationId, released, more });
    return [];
  } catch (e) {
    logger.error('could not release held deliveries', {
      integrationId: job.integrationId,
      error: e as Error,
    });
    return [job.id];
  }
}

const integrations = cachedIntegrations((id) => registry().getIntegration(id), systemClock);

let rowPortsBuilt: EntityPorts | undefined;
const rowPorts = (): EntityPorts => (rowPortsBuilt ??= { ...rowAdapters(), clock: systemClock });

let built: (DeliverBatchPorts & ReleasePorts) | undefined;
/** The adapters, built once per process. */
function ports(): DeliverBatchPorts & ReleasePorts {
  if (built) return built;
  const { allowLoopbackOutbound, publicBaseUrl } = settings();
  built = {
    integration: integrations,
    enablements: enablements(),
    messages: messages(),
    payloads: payloads(),
    permits: inFlight(),
    maxInFlight: maxRecordsInFlight,
    queue: deliveryQueue(),
    send: (req) => postOutbound(req, allowLoopbackOutbound),
    clock: systemClock,
    random: systemRandom,
    token: randomToken,
    publicBaseUrl: publicBaseUrl ?? '',
    events: eventSink(),
    registry: registry(),
    // Endpoint health: its writes, a consistent read after a hold, and the held list.
    health: { registry: registry(), held: messages(), remember: integrations.remember },
    // An Inbound integration's message becomes entity rows (Teamogy's server role).
    apply: (integration, message, document) => applyDocument(rowPorts(), integration, message, document),
    // A row's message: its outcome (and write-back) goes on the row, which may trigger other sends.
    ended: async ({ message, integration, ...end }) => {
      if (!message.source) return;
      await recordDeliveryEnd(rowPorts(), {
        messageId: message.id,
        sender: message.sender,
        source: message.source,
        integration,
        ...end,
      });
    },
  };
  return built;
}

/** A malformed job can never be delivered: it is logged and dropped (deleted with the batch). */
function queuedJob(record: SQSRecord): QueuedJob[] {
  const job = parseJob(record.body);
  if (!job) {
    logger.error('dropping a malformed delivery job', { messageId: record.messageId });
    return [];
  }
  const { messageId: id, receiptHandle, attributes } = record;
  const sentAt = Number(attributes.SentTimestamp);
  return [
    {
      id,
      receiptHandle,
      job,
      group: attributes.MessageGroupId,
      ...(Number.isFinite(sentAt) && sentAt > 0 ? { sentAt } : {}),
    },
  ];
}
