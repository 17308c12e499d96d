import pkg from '../../package.json' with { type: 'json' };
import type { DeliveryJob } from '../adapters/delivery-queue.js';
import type { EnablementRepository } from '../adapters/enablements.js';
import type { MessageRepository, StoredMessage } from '../adapters/messages.js';
import type { PayloadStore } from '../adapters/payloads.js';
import type { Clock, Random } from '../core/clock.js';
import { classifyAttempt, nextRetryDelaySeconds, parseRetryAfter } from '../core/delivery-policy.js';
import { canTransition, statusAfter } from '../core/delivery-state.js';
import { clientOf } from '../core/enablements.js';
import { ApplyRefused } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { isDisabled } from '../core/health.js';
import { decodeInline } from '../core/inline-payload.js';
import { retryScheduleOf, type StoredIntegration } from '../core/integration.js';
import type { Attempt, Delivery } from '../core/message.js';
import type { OutboundAnswer, OutboundResult, OutboundSender } from '../core/outbound.js';
import { capReason } from '../core/reason.js';
import { type Rendered, renderDocument } from '../core/render.js';
import { sha256Hex } from '../core/secrets.js';
import { webhookHeaders } from '../core/signing.js';
import { logger, recordMetric } from '../observability.js';
import { routingStop } from './enablements.js';
import { tell } from './events.js';
import { type EndpointHealthPorts, type HealthFields, holdDelivery, noteDeliveryEnd } from './health.js';

/** What one delivery attempt needs. */
export interface DeliverPorts {
  /** Reads an integration; the worker serves it from a cache of a second or so. */
  integration: (id: string) => Promise<StoredIntegration | undefined>;
  /** The sender's enablement of a managed integration, read on every attempt (never cached). */
  enablements: Pick<EnablementRepository, 'forClient'>;
  messages: Pick<
    MessageRepository,
    'getForDelivery' | 'restartDelivery' | 'claimAttempt' | 'recordAttempt' | 'failOpen'
  >;
  payloads: Pick<PayloadStore, 'get'>;
  send: OutboundSender;
  clock: Clock;
  random: Random;
  /** Base URL of the hub's API, for the links in notify webhooks. */
  publicBaseUrl: string;
  /**
   * Told when a delivery ends (delivered or failed), after the outcome is stored: a row's write-back
   * (usecases/entities.ts). A failure here is logged and never undoes or retries the delivery.
   */
  ended?: (end: DeliveryEnded) => Promise<void>;
  /**
   * Applies an Inbound document to entity rows (usecases/entities.ts applyDocument); throws
   * ApplyRefused (core/errors.ts) for a document that can never be applied.
   */
  apply?: (integration: StoredIntegration, message: StoredMessage, document: Uint8Array) => Promise<unknown>;
  /** Where a delivery that ends failed is told (`delivery.exhausted`); see usecases/events.ts `tell`. */
  events: EventSink;
  /** Endpoint health: what a delivery's end changes, and holding deliveries of a disabled integration. */
  health: EndpointHealthPorts;
}

/** A delivery that has just ended, with what the counterparty answered to its last attempt. */
export interface DeliveryEnded {
  message: StoredMessage;
  integration: StoredIntegration;
  outcome: 'delivered' | 'failed';
  statusCode?: number | undefined;
  response?: { contentType?: string | undefined; body: string } | undefined;
  error?: string | undefined;
}

async function tellEnded(ports: Pick<DeliverPorts, 'ended'>, end: DeliveryEnded): Promise<void> {
  if (!ports.ended) return;
  try {
    await ports.ended(end);
  } catch (e) {
    logger.warn('a delivery ended but its follow-up failed', {
      messageId: end.message.id,
      integrationId: end.integration.id,
      reason: capReason(String((e as Error)?.message ?? e)),
    });
  }
}

/**
 * What the queue consumer should do with the job's queue message: delete it (`done`), hide it until a
 * retry is due (`later`), let its visibility run out (`redeliver`), or replace it with a fresh delayed
 * copy (`requeue`: waiting for a free slot must not count toward the queue's maxReceiveCount, which is
 * kept for crashes).
 */
export type JobResult =
  | { kind: 'done' }
  | { kind: 'later'; delaySeconds: number }
  | { kind: 'redeliver' }
  | {
      kind: 'requeue';
      delaySeconds: number;
      /** A job waiting for an in-flight permit: when it was first queued (the fresh copy keeps it). */
      waitingSince?: number;
    };

export const DEFAULT_TIMEOUT_MS = 15_000;

/** SQS's longest message delay: a held job longer than this is requeued fresh at this interval. */
export const HELD_REQUEUE_SECONDS = 900;

/**
 * Makes the next attempt of one delivery. Idempotent: a finished delivery is acknowledged, an attempt
 * that is not yet due is postponed, and each attempt number is claimed in DynamoDB before the partner
 * is called, so duplicates of the queue message never make an extra attempt. The caller holds an
 * in-flight permit for it (takePermits).
 */
export async function deliverOnce(ports: DeliverPorts, job: DeliveryJob): Promise<JobResult> {
  let { delivery, message, stored } = await ports.messages.getForDelivery(job.messageId, job.integrationId);
  // A job moved back from the dead-letter queue (an SQS redrive) starts its delivery again.
  if (delivery?.deadLettered && canTransition(delivery.status, 'restart')) {
    if (!(await ports.messages.restartDelivery(job.messageId, job.integrationId))) return { kind: 'done' };
    ({ delivery, message, stored } = await ports.messages.getForDelivery(job.messageId, job.integrationId));
  }
  if (!delivery || !canTransition(delivery.status, 'claim') || delivery.mode === 'pull') {
    return { kind: 'done' };
  }
  const now = ports.clock.now();
  if (delivery.nextAttemptAt) {
    const wait = Math.ceil((Date.parse(delivery.nextAttemptAt) - now) / 1000);
    if (wait > HELD_REQUEUE_SECONDS && delivery.attemptCount === 0) {
      // A schedule's hold may last days: a standard queue's job is replaced by a fresh one every 15
      // minutes, so neither the queue's retention nor its receive count runs out while it waits. A
      // FIFO job waits as a retry does (a fresh copy would be taken for a duplicate and dropped).
      const held = await ports.integration(job.integrationId);
      if (held?.parallel !== false) return { kind: 'requeue', delaySeconds: HELD_REQUEUE_SECONDS };
    }
    if (wait > 1) return { kind: 'later', delaySeconds: wait };
  }
  const integration = await ports.integration(job.integrationId);
  const n = delivery.attemptCount + 1;
  const firstRow =
    stored || !message
      ? undefined
      : { delivery, expiresAt: message.expiresAt, receivedAt: message.receivedAt };
  /** Ends the delivery without an attempt; only the call that really closed it tells anyone. */
  const close = async (error: string): Promise<boolean> => {
    const closed = await ports.messages.failOpen(
      job.messageId,
      job.integrationId,
      capReason(error),
      firstRow,
    );
    if (closed) await exhausted(ports, job, message, error);
    return closed;
  };
  if (!integration || !message) {
    await close(!integration ? 'The integration was deleted.' : 'The message has expired.');
    return { kind: 'done' };
  }
  const closeEnded = async (error: string): Promise<JobResult> => {
    if (await close(error)) await tellEnded(ports, { message, integration, outcome: 'failed', error });
    return { kind: 'done' };
  };
  // Why the delivery can no longer go, if it cannot: its client switched a managed integration off
  // (or lost consent), the integration changed after routing, or every attempt was used.
  const cannotGo =
    (await routingStop(ports.enablements, integration, clientOf(integration, message))) ??
    changedSinceRouted(integration, message, delivery.mode) ??
    (n > integration.maxAttempts
      ? 'Every attempt was used; the last one did not report back (the worker stopped).'
      : undefined);
  if (cannotGo) return closeEnded(cannotGo);
  // Checked before every attempt, as the enablement is: a disabled integration's delivery waits,
  // held, without using an attempt, until the operator enables the integration again.
  if (isDisabled(integration) && delivery.mode !== 'apply') {
    const held = await holdDelivery(ports, message, job.integrationId, firstRow);
    return held.retryInSeconds ? { kind: 'later', delaySeconds: held.retryInSeconds } : { kind: 'done' };
  }
  if (delivery.mode === 'apply')
    return applyOnce(ports, { job, integration, message, delivery, n, now, stored });
  // The document is read before the attempt is claimed: a read that fails (S3 throttled, a network
  // error) is transient, so it escapes to the queue for redelivery without using up an attempt.
  const payload = integration.delivery?.mode === 'notify' ? undefined : await loadPayload(ports, message);
  if (!(await ports.messages.claimAttempt(job.messageId, job.integrationId, n, firstRow))) {
    // Another worker holds this attempt; let the queue bring the job back and look again.
    return { kind: 'redeliver' };
  }
  return attemptDelivery(ports, {
    job,
    integration,
    message,
    payload,
    delivery,
    attempt: { n, round: delivery.round ?? 0 },
    now,
    timeoutMs: integration.delivery?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}

/** What changed in the integration since the message was routed that leaves this delivery nowhere to go. */
function changedSinceRouted(
  integration: StoredIntegration,
  message: StoredMessage,
  mode: Delivery['mode'],
): string | undefined {
  if (mode === 'apply') {
    if (integration.direction !== 'Inbound') {
      return 'The integration is no longer Inbound (it changed after the message was routed).';
    }
    if (!integration.managed && integration.receiver !== message.receiver) {
      return 'The integration now names another receiver (it changed after the message was routed).';
    }
    return undefined;
  }
  if (integration.delivery?.mode === 'pull' || !integration.delivery?.url) {
    return 'The integration no longer pushes to a URL (its mode or URL changed after the message was routed).';
  }
  return undefined;
}

/**
 * One attempt of an Inbound integration's delivery (mode `apply`): the document becomes entity rows.
 * A document or template that cannot be applied fails at once (the same input fails the same way);
 * anything else (a table briefly unavailable) is retried on the integration's retry schedule.
 */
async function applyOnce(
  ports: DeliverPorts,
  a: {
    job: DeliveryJob;
    integration: StoredIntegration;
    message: StoredMessage;
    delivery: Delivery;
    n: number;
    now: number;
    stored: boolean | undefined;
  },
): Promise<JobResult> {
  if (!ports.apply) throw new Error('This worker cannot apply Inbound documents.');
  const payload = await loadPayload(ports, a.message);
  // As for push: only the document that was routed and hashed is applied (a presigned PUT may have
  // written the object again since).
  const changed = !a.message.inline && sha256Hex(payload) !== a.message.sha256;
  const firstRow = a.stored
    ? undefined
    : { delivery: a.delivery, expiresAt: a.message.expiresAt, receivedAt: a.message.receivedAt };
  if (!(await ports.messages.claimAttempt(a.job.messageId, a.job.integrationId, a.n, firstRow))) {
    return { kind: 'redeliver' };
  }
  const made = { n: a.n, round: a.delivery.round ?? 0, at: new Date(a.now).toISOString() };
  const outcome = await (changed
    ? Promise.reject(new ApplyRefused('the stored document changed after it was accepted'))
    : ports.apply(a.integration, a.message, payload)
  ).then(
    (applied) => ({ applied }),
    (e: unknown) => ({ refused: e instanceof ApplyRefused, error: messageOf(e) }),
  );
  const durationMs = Math.max(0, ports.clock.now() - a.now);
  recordMetric('AttemptLatencyMs', durationMs);
  if ('applied' in outcome) {
    await record(
      ports,
      a.job,
      { ...made, durationMs },
      { status: statusAfter('deliver'), lastError: undefined },
    );
    recordDeliveryAge(ports, a.message);
    return { kind: 'done' };
  }
  const attempt = { ...made, durationMs, error: outcome.error };
  const delay = outcome.refused
    ? undefined
    : nextRetryDelaySeconds(retryScheduleOf(a.integration), a.n, ports.random, undefined);
  if (delay === undefined) {
    const why = outcome.refused
      ? 'not retryable'
      : `attempt ${a.n} of ${a.integration.maxAttempts}, the last`;
    await record(ports, a.job, attempt, {
      status: statusAfter('fail'),
      lastError: `${outcome.error} (${why})`,
    });
    await exhausted(ports, a.job, a.message, `${outcome.error} (${why})`);
    return { kind: 'done' };
  }
  await record(ports, a.job, attempt, {
    status: statusAfter('retry'),
    nextAttemptAt: new Date(a.now + delay * 1000).toISOString(),
    lastError: outcome.error,
  });
  return { kind: 'later', delaySeconds: delay };
}

/**
 * Everything one claimed attempt is made with (after Svix's dispatch context): what is delivered,
 * where, which attempt it is, and when it started.
 */
export interface DispatchContext {
  job: DeliveryJob;
  integration: StoredIntegration;
  message: StoredMessage;
  /** The stored document, read before the attempt was claimed (none for notify). */
  payload: Uint8Array | undefined;
  delivery: Delivery;
  /** The attempt's number (claimed) and the round it belongs to. */
  attempt: { n: number; round: number };
  /** When the attempt starts (epoch ms): its signature's timestamp and its record's time. */
  now: number;
  timeoutMs: number;
}

async function attemptDelivery(ports: DeliverPorts, ctx: DispatchContext): Promise<JobResult> {
  const { integration, message, delivery, now } = ctx;
  const at = new Date(now);
  const made = { n: ctx.attempt.n, round: ctx.attempt.round, at: at.toISOString() };
  // Whatever throws while preparing or making the attempt (a document or template that cannot be
  // rendered, a header Node refuses to send) fails the same way next time: it is recorded as this
  // attempt's failure and ends the delivery, instead of escaping to the queue to be redelivered.
  const failAttempt = async (error: string): Promise<JobResult> => {
    await record(
      ports,
      ctx.job,
      { ...made, durationMs: 0, error },
      { status: statusAfter('fail'), lastError: `${error} (not retryable)` },
    );
    await tellEnded(ports, { message, integration, outcome: 'failed', error });
    await exhausted(ports, ctx.job, message, `${error} (not retryable)`);
    return { kind: 'done' };
  };
  let rendered: Rendered;
  try {
    rendered = await renderFor(ports, integration, message, ctx.payload);
  } catch (e) {
    return failAttempt(`The document could not be rendered: ${messageOf(e)}`);
  }
  let res: OutboundResult;
  try {
    res = await ports.send({
      url: targetUrl(integration, message),
      headers: {
        'content-type': rendered.contentType,
        'user-agent': `Crossdock/${pkg.version}`,
        ...integration.delivery?.headers,
        ...webhookHeaders(delivery.webhookId, at, rendered.body, integration),
      },
      body: rendered.body,
      timeoutMs: ctx.timeoutMs,
    });
  } catch (e) {
    return failAttempt(`The attempt could not be made: ${messageOf(e)}`);
  }
  // The attempt's own measured duration; one that could not be made (failAttempt) has none to count.
  recordMetric('AttemptLatencyMs', res.durationMs);
  const outcome = classifyAttempt(res);
  const answer = res.kind === 'answered' ? res : undefined;
  const error =
    res.kind === 'failed' ? res.message : outcome !== 'delivered' ? `HTTP ${res.status}` : undefined;
  const attempt: Attempt = {
    ...made,
    durationMs: res.durationMs,
    ...(answer ? { statusCode: answer.status } : {}),
    ...(error !== undefined ? { error } : {}),
  };
  const response = answer ? keptResponse(answer) : undefined;
  if (outcome === 'delivered') {
    await record(ports, ctx.job, attempt, { status: statusAfter('deliver'), response, lastError: undefined });
    recordDeliveryAge(ports, message);
    await noteDeliveryEnd(ports, integration, 'delivered');
    await tellEnded(ports, {
      message,
      integration,
      outcome: 'delivered',
      statusCode: answer?.status,
      response,
    });
    return { kind: 'done' };
  }
  const delay =
    outcome === 'retry'
      ? nextRetryDelaySeconds(
          retryScheduleOf(integration),
          ctx.attempt.n,
          ports.random,
          parseRetryAfter(answer?.headers['retry-after'], now),
        )
      : undefined;
  if (delay === undefined) {
    const why =
      outcome === 'fail'
        ? 'not retryable'
        : `attempt ${ctx.attempt.n} of ${integration.maxAttempts}, the last`;
    await record(ports, ctx.job, attempt, {
      status: statusAfter('fail'),
      response,
      lastError: `${error} (${why})`,
    });
    // Endpoint health counts the deliveries that ended on the endpoint's answer (or its silence): not
    // those that could not be rendered or sent, nor those closed without an attempt.
    await noteDeliveryEnd(ports, integration, 'failed', capReason(`${error} (${why})`));
    await tellEnded(ports, {
      message,
      integration,
      outcome: 'failed',
      statusCode: answer?.status,
      response,
      error: `${error} (${why})`,
    });
    await exhausted(ports, ctx.job, message, `${error} (${why})`);
    return { kind: 'done' };
  }
  await record(ports, ctx.job, attempt, {
    status: statusAfter('retry'),
    nextAttemptAt: new Date(now + delay * 1000).toISOString(),
    response,
    lastError: error,
  });
  return { kind: 'later', delaySeconds: delay };
}

/**
 * Tells the operator that a delivery ended failed, once its record says so. `tell` never throws: a
 * notice that cannot be kept or published must not fail the job, or the queue would bring it back for
 * an attempt the record has already closed.
 */
function exhausted(
  ports: Pick<DeliverPorts, 'events' | 'clock'>,
  job: DeliveryJob,
  message: Pick<StoredMessage, 'receiver'> | undefined,
  reason: string,
): Promise<void> {
  return tell(ports.events, {
    type: 'delivery.exhausted',
    at: ports.clock.now(),
    integrationId: job.integrationId,
    messageId: job.messageId,
    ...(message ? { partner: message.receiver } : {}),
    detail: capReason(reason),
  });
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** DeliveryAgeMs: from the message's acceptance to the delivery just recorded. */
function recordDeliveryAge(ports: Pick<DeliverPorts, 'clock'>, message: Pick<StoredMessage, 'receivedAt'>) {
  const received = Date.parse(message.receivedAt);
  if (Number.isFinite(received)) recordMetric('DeliveryAgeMs', Math.max(0, ports.clock.now() - received));
}

function record(
  ports: DeliverPorts,
  job: DeliveryJob,
  attempt: Attempt,
  next: Pick<Delivery, 'status' | 'nextAttemptAt' | 'lastError' | 'response'>,
) {
  // Reasons are capped here, the one way attempts are written, so no partner's answer or parser
  // message can make the item approach DynamoDB's 400 KB.
  return ports.messages.recordAttempt(
    job.messageId,
    job.integrationId,
    attempt.error === undefined ? attempt : { ...attempt, error: capReason(attempt.error) },
    {
      nextAttemptAt: undefined,
      ...next,
      ...(next.lastError === undefined ? {} : { lastError: capReason(next.lastError) }),
    },
  );
}

async function loadPayload(ports: Pick<DeliverPorts, 'payloads'>, m: StoredMessage): Promise<Uint8Array> {
  return m.inline ? decodeInline(m.inline) : await ports.payloads.get(m.payloadKey ?? '');
}

async function renderFor(
  ports: DeliverPorts,
  i: StoredIntegration,
  m: StoredMessage,
  payload: Uint8Array | undefined,
): Promise<Rendered> {
  if (i.delivery?.mode === 'notify' || !payload) {
    const base = ports.publicBaseUrl.replace(/\/$/, '');
    const body = {
      type: 'message.ready',
      messageId: m.id,
      sender: m.sender,
      receiver: m.receiver,
      doctype: m.doctype,
      version: m.version,
      links: {
        payload: `${base}/v1/messages/${m.id}/payload`,
        status: `${base}/v1/messages/${m.id}`,
        ...(m.source ? { entity: `${base}/v1/entities/${m.source.entity}/${m.source.id}` } : {}),
      },
      // A row's notify names the row, which the receiver reads with its own key (Teamogy's webhook).
      ...(m.source ? { entity: { name: m.source.entity, id: m.source.id, version: m.source.version } } : {}),
    };
    return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json' };
  }
  // An object in S3 could be overwritten after acceptance (a presigned URL stays valid for minutes):
  // only the document that was routed and hashed is ever sent.
  if (!m.inline && sha256Hex(payload) !== m.sha256) {
    throw new Error('the stored document changed after it was accepted');
  }
  return renderDocument(payload, m.contentType, i.delivery?.format ?? 'raw', i.delivery?.template);
}

/** Push and notify POST to the URL with the routing parameters of seed 000. */
function targetUrl(i: StoredIntegration, m: StoredMessage): string {
  const url = new URL(i.delivery?.url ?? '');
  for (const [k, v] of Object.entries({
    sender: m.sender,
    receiver: m.receiver,
    doctype: m.doctype,
    version: m.version,
  })) {
    url.searchParams.set(k, v);
  }
  return url.toString();
}

/**
 * The partner's answer as kept on the delivery: the capped text only. It is parsed when shown (see
 * message-view.ts), because a partner's JSON may hold what DynamoDB cannot store (integers past 2^53,
 * nesting past 32 levels), and a refused write would lose the record of an attempt that succeeded.
 */
function keptResponse(res: OutboundAnswer): NonNullable<Delivery['response']> {
  const contentType = res.headers['content-type'];
  return {
    statusCode: res.status,
    ...(contentType ? { contentType } : {}),
    body: res.body,
    truncated: res.truncated,
  };
}

/** The worker's integration reader, with a way to tell it what a health write changed. */
export interface IntegrationCache {
  (id: string): Promise<StoredIntegration | undefined>;
  /** Applies the fields a health write changed to the cached integration, if it is cached. */
  remember(id: string, fields: HealthFields): void;
}

/**
 * Serves integrations from memory for `ttlMs`: a busy worker reads each integration about once a
 * second instead of once per message. A change made by the operator reaches deliveries within that time.
 */
export function cachedIntegrations(
  read: (id: string) => Promise<StoredIntegration | undefined>,
  clock: Clock,
  ttlMs = 1000,
): IntegrationCache {
  const cache = new Map<string, { at: number; value: Promise<StoredIntegration | undefined> }>();
  const get = (id: string) => {
    const hit = cache.get(id);
    if (hit && clock.now() - hit.at < ttlMs) return hit.value;
    const value = read(id);
    cache.set(id, { at: clock.now(), value });
    return value;
  };
  return Object.assign(get, {
    remember(id: string, fields: HealthFields) {
      const hit = cache.get(id);
      if (!hit) return;
      const value = hit.value.then((i) => {
        if (!i) return i;
        const next: StoredIntegration = { ...i };
        for (const [k, v] of Object.entries(fields) as [keyof HealthFields, string | undefined][]) {
          if (v === undefined) delete next[k];
          else Object.assign(next, { [k]: v });
        }
        return next;
      });
      cache.set(id, { at: hit.at, value });
    },
  });
}
