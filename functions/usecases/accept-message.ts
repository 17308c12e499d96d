import { MESSAGE_RETENTION_DAYS, PAYLOAD_PREFIX } from '../../lib/resources.js';
import type { DeliveryQueue } from '../adapters/delivery-queue.js';
import type { EnablementRepository } from '../adapters/enablements.js';
import type { MessageRepository, StoredMessage } from '../adapters/messages.js';
import type { PayloadStore } from '../adapters/payloads.js';
import type { RegistryRepository } from '../adapters/registry.js';
import { type Clock, newId } from '../core/clock.js';
import { parseDocument } from '../core/document.js';
import { clientOf } from '../core/enablements.js';
import { badRequest, conflict, forbidden, HubError, notFound, unprocessable } from '../core/errors.js';
import { hasEndpoint, heldSort, isDisabled } from '../core/health.js';
import { encodeInline } from '../core/inline-payload.js';
import { MAX_ENTITY_CHARS, MAX_VERSION_CHARS, type StoredIntegration } from '../core/integration.js';
import {
  type AcceptedMessage,
  acceptedView,
  type Delivery,
  type Envelope,
  type MessageSource,
  webhookIdOf,
} from '../core/message.js';
import type { ObjectWrite } from '../core/object-write.js';
import type { ApiKeyRecord } from '../core/partners.js';
import { matchesInbound, matchesRoute } from '../core/routing.js';
import { sha256Hex } from '../core/secrets.js';
import { nextTick } from '../core/triggers.js';
import { recordMetric } from '../observability.js';
import { enabledFor } from './enablements.js';
import { filterAdmits } from './filters.js';
import { type EndpointHealthPorts, holdDelivery } from './health.js';

/** The largest document POST /v1/messages takes (API Gateway and Lambda limits, base64 included). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** After this long without a stored message, a claimed Idempotency-Key is taken over by a retry. */
export const IDEMPOTENCY_TAKEOVER_MS = 60_000;

const ANOTHER_ENVELOPE = 'another receiver, doctype, version or content type';

const keyReused = (what: string) =>
  conflict(
    'idempotency_key_reused',
    `This Idempotency-Key was used with ${what}; use a new key for a new message.`,
  );

/**
 * What an Idempotency-Key stands for: everything that makes the message (the sender is in the key
 * itself). Two requests with the same fingerprint are the same message; any difference is another one.
 */
function requestFingerprint(envelope: Envelope, contentType: string, bodySha256: string): string {
  return sha256Hex(
    JSON.stringify([envelope.receiver, envelope.doctype, envelope.version, contentType, bodySha256]),
  );
}

/** What routing reads: the receiver's integrations, and the sender's enablements of managed ones. */
export interface RoutingPorts {
  registry: Pick<RegistryRepository, 'routesToReceiver' | 'getIntegration'>;
  enablements: Pick<EnablementRepository, 'forClient'>;
}

export interface AcceptPorts {
  registry: RegistryRepository;
  enablements: Pick<EnablementRepository, 'forClient'>;
  messages: MessageRepository;
  payloads: PayloadStore;
  queue: DeliveryQueue;
  clock: Clock;
}

export interface IncomingMessage {
  sender?: string | undefined;
  receiver?: string | undefined;
  doctype?: string | undefined;
  version?: string | undefined;
  body: Buffer;
  contentType: string;
  idempotencyKey?: string | undefined;
}

/**
 * Accepts a document from an authenticated partner: checks it, routes it, stores it and enqueues
 * one delivery job per routed push/notify integration. A refused message leaves nothing behind.
 */
export async function acceptMessage(
  ports: AcceptPorts,
  key: ApiKeyRecord,
  input: IncomingMessage,
): Promise<{ replay: boolean; message: AcceptedMessage }> {
  if (input.body.length === 0 && input.sender && input.receiver) {
    throw badRequest('empty_body', 'The body is empty; it should be the document.');
  }
  if (
    input.idempotencyKey !== undefined &&
    (input.idempotencyKey.length === 0 || input.idempotencyKey.length > 255)
  ) {
    throw badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters.');
  }
  const envelope = await checkEnvelope(ports.registry, key, input);
  const { sender } = envelope;
  const now = ports.clock.now();
  const sha256 = sha256Hex(input.body);
  const id = newId('msg', now);
  const routed = await routeMessage(ports, envelope, input);
  if (routed.length === 0) throw noRoute(envelope);

  const idemHash = input.idempotencyKey ? sha256Hex(input.idempotencyKey) : undefined;
  const expiresAt = Math.floor(now / 1000) + MESSAGE_RETENTION_DAYS * 86_400;
  if (idemHash) {
    const fingerprint = requestFingerprint(envelope, input.contentType, sha256);
    const claim = { messageId: id, bodySha256: sha256, fingerprint, claimedAt: now };
    const first = await ports.messages.claimIdempotencyKey(sender, idemHash, claim, expiresAt);
    if (first) {
      if (first.bodySha256 !== sha256) throw keyReused('a different body');
      if (first.fingerprint !== undefined && first.fingerprint !== fingerprint) {
        throw keyReused(ANOTHER_ENVELOPE);
      }
      const record = await ports.messages.getRecord(first.messageId);
      if (record) {
        const earlier = record.message;
        // The key belongs to the whole request, not to the body alone. A claim written before claims
        // kept a fingerprint has only the body's hash: it is judged by the message it names, whose
        // stored receiver, doctype, version and content type are exactly what the fingerprint covers.
        // (Such an old claim whose message was never stored is taken over below as any other.)
        if (requestFingerprint(earlier, earlier.contentType, earlier.sha256) !== fingerprint) {
          throw keyReused(ANOTHER_ENVELOPE);
        }
        await queueUnstarted(ports, record.message, record.deliveries);
        return { replay: true, message: acceptedView(earlier) };
      }
      // The first request may still be storing; one that died long ago left its key behind.
      const abandoned = now - (first.claimedAt ?? 0) > IDEMPOTENCY_TAKEOVER_MS;
      if (
        !abandoned ||
        !(await ports.messages.takeOverIdempotencyKey(sender, idemHash, first.messageId, claim, expiresAt))
      ) {
        throw conflict(
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is in progress; retry shortly.',
        );
      }
    }
  }

  let message: StoredMessage;
  try {
    message = await storeMessage(
      { ...ports, health: { registry: ports.registry, held: ports.messages } },
      { id, ...envelope, body: input.body, contentType: input.contentType, sha256 },
      routed,
    );
  } catch (e) {
    if (idemHash) await ports.messages.releaseIdempotencyKey(sender, idemHash);
    if (e instanceof HubError) throw e;
    throw new HubError(
      503,
      'unavailable',
      'The message could not be stored; nothing was accepted. Retry later.',
    );
  }
  return { replay: false, message: acceptedView(message) };
}

/**
 * Queues again, on a replay, the push and notify deliveries of the earlier message that no attempt
 * has started. A request that died between storing its message and queuing its jobs (a crash, a
 * timeout) left them without a job; its client's retry is this replay, which answers the message as
 * accepted, so the jobs must exist once it has answered. When the first request did queue them, the
 * second job is harmless: attempts are claimed by number, and the FIFO queue drops an ordered job's
 * copy within its deduplication window. Held deliveries have a row and are left to their release.
 */
async function queueUnstarted(
  ports: Pick<AcceptPorts, 'registry' | 'queue' | 'clock'>,
  message: StoredMessage,
  deliveries: readonly Delivery[],
): Promise<void> {
  const now = ports.clock.now();
  const jobs = [];
  for (const d of deliveries) {
    if (d.mode === 'pull' || d.status !== 'queued' || d.attemptCount > 0) continue;
    const integration = await ports.registry.getIntegration(d.integrationId);
    if (!integration) continue; // gone: the worker would fail the delivery; nothing to send
    const due = d.nextAttemptAt ? Date.parse(d.nextAttemptAt) - now : 0;
    jobs.push({
      messageId: message.id,
      integrationId: d.integrationId,
      ordered: integration.parallel === false,
      ...(d.round ? { round: d.round } : {}),
      ...(due > 0 ? { delaySeconds: Math.ceil(due / 1000) } : {}),
    });
  }
  if (jobs.length === 0) return;
  try {
    await ports.queue.enqueue(jobs);
  } catch {
    // Answering "accepted" now could leave the message without its jobs: the client retries instead.
    throw new HubError(503, 'unavailable', 'The message could not be queued; retry later.');
  }
}

/**
 * Control characters (C0, DEL, C1) and the invisible bidi and direction marks (U+061C, U+200E/F,
 * U+202A–202E, U+2066–2069): a doctype or version with one would be forwarded to partners and shown
 * to operators looking like another.
 */
const CONTROL_CHARACTER = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/** doctype and version are routed on like an integration's entity and version: the same limits. */
const ROUTING_LIMITS = { doctype: MAX_ENTITY_CHARS, version: MAX_VERSION_CHARS } as const;

/**
 * The checks every way in shares (posts, form fields and uploads): sender and receiver given,
 * doctype and version within their limits and free of control characters, the key is the sender's,
 * the receiver exists.
 */
export async function checkEnvelope(
  registry: RegistryRepository,
  key: ApiKeyRecord,
  input: Partial<Record<keyof Envelope, string | undefined>>,
): Promise<Envelope> {
  for (const name of ['sender', 'receiver'] as const) {
    if (!input[name]) throw badRequest('missing_parameter', `The ${name} parameter is required.`);
  }
  for (const [name, max] of Object.entries(ROUTING_LIMITS) as [keyof typeof ROUTING_LIMITS, number][]) {
    const value = input[name] ?? '';
    if (value.length > max) {
      throw badRequest('invalid_parameter', `The ${name} parameter is at most ${max} characters.`);
    }
    if (CONTROL_CHARACTER.test(value)) {
      throw badRequest(
        'invalid_parameter',
        `The ${name} parameter may not contain control characters or bidirectional marks.`,
      );
    }
  }
  const sender = input.sender as string;
  const receiver = input.receiver as string;
  if (key.partnerCode !== sender) throw forbidden(`This API key does not belong to sender ${sender}.`);
  if (!(await registry.getPartner(receiver))) throw notFound(`Receiver ${receiver}`);
  return { sender, receiver, doctype: input.doctype ?? '', version: input.version ?? '' };
}

export interface NewMessage {
  id: string;
  sender: string;
  receiver: string;
  doctype: string;
  version: string;
  body: Uint8Array;
  contentType: string;
  /** When the caller has already hashed the body. */
  sha256?: string;
  /** A presigned upload: the write of its upload key that the body was read from. */
  landed?: ObjectWrite;
  /** A trigger's send: the row version it carries. */
  source?: MessageSource;
}

/**
 * Stores a routed message (inline when small, else in S3) with one delivery per integration, and
 * enqueues the push/notify deliveries. If the enqueue fails, the rows are removed again and the error
 * is thrown, so a caller that reports the failure leaves nothing behind. Any face that hands documents
 * to the delivery engine (messages, 3PL lines, uploads) goes through here.
 */
export async function storeMessage(
  ports: Pick<AcceptPorts, 'messages' | 'payloads' | 'queue' | 'clock'> & {
    /**
     * Endpoint health: a delivery of a disabled integration is held here, at once, instead of being
     * queued for the worker to hold. Without it (a face that does not pass it) the worker holds it
     * when its job comes up, which ends the same way.
     */
    health?: EndpointHealthPorts;
  },
  m: NewMessage,
  routed: readonly StoredIntegration[],
): Promise<StoredMessage> {
  const now = ports.clock.now();
  const message: StoredMessage = {
    id: m.id,
    sender: m.sender,
    receiver: m.receiver,
    doctype: m.doctype,
    version: m.version,
    size: m.body.length,
    sha256: m.sha256 ?? sha256Hex(m.body),
    contentType: m.contentType,
    receivedAt: new Date(now).toISOString(),
    expiresAt: Math.floor(now / 1000) + MESSAGE_RETENTION_DAYS * 86_400,
  };
  const deliveries: Delivery[] = routed.map((i) => {
    // An integration with a schedule holds what it carries until its next tick (Contract v2, "Schedules").
    const tick =
      i.direction === 'Outbound' && i.defaultSchedule ? nextTick(now, i.defaultSchedule) : undefined;
    return {
      messageId: m.id,
      integrationId: i.id,
      mode: i.direction === 'Inbound' ? 'apply' : (i.delivery?.mode ?? 'push'),
      status: 'queued',
      attemptCount: 0,
      webhookId: webhookIdOf(m.id, i.id),
      ...(tick ? { nextAttemptAt: new Date(tick).toISOString() } : {}),
    };
  });
  if (m.landed) message.landed = m.landed;
  if (m.source) message.source = m.source;
  const inline = encodeInline(m.body);
  if (inline) message.inline = inline;
  else {
    message.payloadKey = payloadKey(m.id, now);
    await ports.payloads.put(message.payloadKey, m.body, m.contentType);
  }
  await ports.messages.create(message, deliveries);
  const heldNow = await holdAtAccept(ports, message, routed, deliveries);
  try {
    await ports.queue.enqueue(
      routed.flatMap((i, k) => {
        if (i.delivery?.mode === 'pull' || heldNow.has(i.id)) return [];
        const held = deliveries[k]?.nextAttemptAt;
        return [
          {
            messageId: m.id,
            integrationId: i.id,
            ordered: i.parallel === false,
            ...(held ? { delaySeconds: Math.ceil((Date.parse(held) - now) / 1000) } : {}),
          },
        ];
      }),
    );
  } catch (e) {
    await ports.messages.remove(message, deliveries);
    if (heldNow.size > 0 && ports.health) {
      for (const id of heldNow) {
        await ports.health.held
          .dropHeldEntries(id, [{ messageId: message.id, sort: heldSort(message) }])
          .catch(() => undefined);
      }
    }
    // The document this call wrote goes too ("a refused request writes nothing"; an upload's landing
    // object is another key). Should the delete fail, the object expires with its prefix.
    if (message.payloadKey) await ports.payloads.delete(message.payloadKey).catch(() => undefined);
    throw e;
  }
  // Stored and queued: only now is it accepted (an enqueue that failed took the message back).
  recordMetric('MessagesAccepted');
  return message;
}

/**
 * Holds, as the message is stored, the deliveries of the disabled integrations it routes to (endpoint
 * health), so they show `held` at once and are never queued. A scheduled one is left to its tick
 * (the worker holds it then): released early, it would go out before its schedule. Answers the
 * integrations whose delivery stays held.
 */
async function holdAtAccept(
  ports: { health?: EndpointHealthPorts },
  message: StoredMessage,
  routed: readonly StoredIntegration[],
  deliveries: readonly Delivery[],
): Promise<Set<string>> {
  const held = new Set<string>();
  if (!ports.health) return held;
  for (const [k, i] of routed.entries()) {
    const delivery = deliveries[k];
    if (!delivery || !isDisabled(i) || !hasEndpoint(i) || delivery.nextAttemptAt) continue;
    const firstRow = { delivery, expiresAt: message.expiresAt, receivedAt: message.receivedAt };
    if ((await holdDelivery({ health: ports.health }, message, i.id, firstRow)).held) held.add(i.id);
  }
  return held;
}

/**
 * The active Outbound integrations that carry this message, and the Inbound ones that apply it. Filters need the document; without one
 * (an upload not yet landed) every candidate counts, and the filters run when the document arrives.
 */
export async function routeMessage(
  ports: RoutingPorts,
  m: { sender: string; receiver: string; doctype: string; version: string },
  document?: { body: Uint8Array; contentType: string },
): Promise<StoredIntegration[]> {
  const found = await ports.registry.routesToReceiver(m.receiver);
  // A managed Inbound integration names no receiver: each client that enabled it is its receiver.
  const managedInbound: StoredIntegration[] = [];
  for (const id of found.managedInbound) {
    const i = await ports.registry.getIntegration(id);
    if (i?.managed && i.direction === 'Inbound') managedInbound.push({ ...i, receiver: m.receiver });
  }
  const candidates = await enabledFor(
    ports.enablements,
    [...found.integrations, ...managedInbound].filter((i) => matchesRoute(i, m) || matchesInbound(i, m)),
    (i) => clientOf(i, m),
  );
  if (!document) return candidates;
  const routed: StoredIntegration[] = [];
  let parsed: unknown;
  for (const i of candidates) {
    if (!i.filter) {
      routed.push(i);
      continue;
    }
    parsed ??= await parseDocument(document.body, document.contentType);
    if (await filterAdmits(i, parsed)) routed.push(i);
  }
  return routed;
}

/** The 422 for a message nothing routes. */
export const noRoute = (m: { sender: string; receiver: string; doctype: string; version: string }) =>
  unprocessable(
    'no_route',
    `No active Outbound or Inbound integration routes ${m.sender} → ${m.receiver} for doctype "${m.doctype}" version "${m.version}".`,
  );

function payloadKey(id: string, now: number): string {
  const d = new Date(now).toISOString();
  return `${PAYLOAD_PREFIX}${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${id}`;
}
