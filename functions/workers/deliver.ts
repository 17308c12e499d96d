import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { postOutbound } from '../adapters/outbound-http.js';
import { randomToken, systemClock, systemRandom } from '../core/clock.js';
import { deliveryQueue, eventSink, inFlight, messages, payloads, registry, settings } from '../deps.js';
import { logger } from '../observability.js';
import { cachedIntegrations } from '../usecases/deliver.js';
import { type DeliverBatchPorts, deliverBatch, type QueuedJob } from '../usecases/deliver-batch.js';
import { batchResponse } from './batch.js';
import { parseJob } from './jobs.js';

/** Consumes both delivery queues: parse the records, deliver the batch, hand back what is not done. */
export async function handler(
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SQSBatchResponse> {
  const deadline = context ? systemClock.now() + context.getRemainingTimeInMillis() : undefined;
  return batchResponse(await deliverBatch(ports(), event.Records.flatMap(queuedJob), deadline));
}

const integrations = cachedIntegrations((id) => registry().getIntegration(id), systemClock);

let built: DeliverBatchPorts | undefined;
/** The adapters, built once per process. */
function ports(): DeliverBatchPorts {
  if (built) return built;
  const { ALLOW_LOOPBACK_OUTBOUND, PUBLIC_BASE_URL } = settings();
  built = {
    integration: integrations,
    messages: messages(),
    payloads: payloads(),
    permits: inFlight(),
    queue: deliveryQueue(),
    send: (req) => postOutbound(req, ALLOW_LOOPBACK_OUTBOUND),
    clock: systemClock,
    random: systemRandom,
    token: randomToken,
    publicBaseUrl: PUBLIC_BASE_URL ?? '',
    events: eventSink(),
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
  return [{ id, receiptHandle, job, group: attributes.MessageGroupId }];
}
