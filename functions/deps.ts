import * as z from 'zod/mini';
import {
  deliveryQueue as deliveryQueueDefinition,
  eventsTopic,
  MAX_RECORDS_IN_FLIGHT_ENV,
  messagesTable,
  orderedDeliveryQueue,
  packetTopic,
  payloadBucket,
  registryTable,
} from '../lib/resources.js';
import { CommunicationRepository } from './adapters/communications.js';
import { CredentialRepository, FieldDictionaryRepository } from './adapters/credentials.js';
import { DeadLetterQueue } from './adapters/dead-letters.js';
import { DeliveryQueue } from './adapters/delivery-queue.js';
import { EnablementRepository } from './adapters/enablements.js';
import { EntityRepository, RowTicks } from './adapters/entities.js';
import { OperationalEvents } from './adapters/events.js';
import { FailedDeliveries } from './adapters/failed-deliveries.js';
import { InFlightPermits } from './adapters/in-flight.js';
import { JobRepository } from './adapters/jobs.js';
import { MessageLog } from './adapters/message-log.js';
import { MessageRepository } from './adapters/messages.js';
import { PacketNotifier } from './adapters/notifications.js';
import { PacketUrls } from './adapters/packet-urls.js';
import { PacketRepository } from './adapters/packets.js';
import { PayloadStore } from './adapters/payloads.js';
import { RefusalLog } from './adapters/refusals.js';
import { RegistryRepository } from './adapters/registry.js';
import { DeliveryStats } from './adapters/stats.js';
import { UploadRepository } from './adapters/uploads.js';
import { flag, loadConfig, required } from './config.js';
import { systemRandom } from './core/random.js';

/**
 * The adapters a function needs, each built once per process from its own environment variable.
 * They are separate exports (not one object) so that a bundle holds only the AWS clients its handler
 * really uses, and a function bound to fewer resources still starts.
 */
let registryRepository: RegistryRepository | undefined;
let messageRepository: MessageRepository | undefined;
let payloadStore: PayloadStore | undefined;
let queue: DeliveryQueue | undefined;
let credentialRepository: CredentialRepository | undefined;
let fieldDictionaryRepository: FieldDictionaryRepository | undefined;
let communicationRepository: CommunicationRepository | undefined;

const envOf = (name: string): string => loadConfig({ [name]: required() })[name] as string;

export function registry(): RegistryRepository {
  registryRepository ??= new RegistryRepository(envOf(registryTable.envVar));
  return registryRepository;
}

let enablementRepository: EnablementRepository | undefined;

/** Clients' enablements of managed integrations (the registry table). */
export function enablements(): EnablementRepository {
  enablementRepository ??= new EnablementRepository(envOf(registryTable.envVar));
  return enablementRepository;
}

/** Messages and deliveries; what they accept and end is counted in the hourly statistics. */
export function messages(): MessageRepository {
  messageRepository ??= new MessageRepository(envOf(messagesTable.envVar), deliveryStats());
  return messageRepository;
}

let deliveryStatsCounters: DeliveryStats | undefined;

/** The hourly counters of GET /admin/stats (messages table). */
export function deliveryStats(): DeliveryStats {
  deliveryStatsCounters ??= new DeliveryStats(envOf(messagesTable.envVar));
  return deliveryStatsCounters;
}

let messageLogReader: MessageLog | undefined;

/** The operator's message log (the messages table's log indexes). */
export function messageLog(): MessageLog {
  messageLogReader ??= new MessageLog(envOf(messagesTable.envVar));
  return messageLogReader;
}

export function payloads(): PayloadStore {
  payloadStore ??= new PayloadStore(envOf(payloadBucket.envVar));
  return payloadStore;
}

let entityRepository: EntityRepository | undefined;

export function entities(): EntityRepository {
  entityRepository ??= new EntityRepository(envOf(messagesTable.envVar));
  return entityRepository;
}

let rowTickStore: RowTicks | undefined;

/** Continuous integrations' re-sends of rows (the messages table). */
export function rowTicks(): RowTicks {
  rowTickStore ??= new RowTicks(envOf(messagesTable.envVar));
  return rowTickStore;
}

let uploadRepository: UploadRepository | undefined;

export function uploads(): UploadRepository {
  uploadRepository ??= new UploadRepository(envOf(messagesTable.envVar), envOf(payloadBucket.envVar));
  return uploadRepository;
}

/** Both delivery queues; each function is bound only to those it uses, so either URL may be absent. */
export function deliveryQueue(): DeliveryQueue {
  queue ??= new DeliveryQueue({
    standard: process.env[deliveryQueueDefinition.envVar],
    ordered: process.env[orderedDeliveryQueue.envVar],
  });
  return queue;
}

let deliveryDeadLetterQueue: DeadLetterQueue | undefined;

/** The standard delivery queue's dead-letter queue, for the sweep that reads it without deleting. */
export function deliveryDeadLetters(): DeadLetterQueue {
  deliveryDeadLetterQueue ??= new DeadLetterQueue(envOf(deliveryQueueDefinition.deadLetter.envVar));
  return deliveryDeadLetterQueue;
}

let inFlightPermits: InFlightPermits | undefined;

/** Each parallel integration's in-flight permits (messages table). */
export function inFlight(): InFlightPermits {
  inFlightPermits ??= new InFlightPermits(envOf(messagesTable.envVar));
  return inFlightPermits;
}

/** 3PL credentials, login failures and access tokens (registry table). */
export function credentials(): CredentialRepository {
  credentialRepository ??= new CredentialRepository(envOf(registryTable.envVar));
  return credentialRepository;
}

/** The operator's additions to the 3PL field dictionary (registry table). */
export function fieldDictionaries(): FieldDictionaryRepository {
  fieldDictionaryRepository ??= new FieldDictionaryRepository(envOf(registryTable.envVar));
  return fieldDictionaryRepository;
}

/** 3PL replication posts and their apiuuid claims (messages table). */
export function communications(): CommunicationRepository {
  communicationRepository ??= new CommunicationRepository(envOf(messagesTable.envVar));
  return communicationRepository;
}

let packetRepository: PacketRepository | undefined;
let packetUrlSigner: PacketUrls | undefined;
let packetNotifier: PacketNotifier | undefined;

/** Sync packets and their mailboxes (messages table). */
export function packets(): PacketRepository {
  packetRepository ??= new PacketRepository(envOf(messagesTable.envVar));
  return packetRepository;
}

/** Presigned URLs for sync packet objects (payload bucket). */
export function packetUrls(): PacketUrls {
  packetUrlSigner ??= new PacketUrls(envOf(payloadBucket.envVar));
  return packetUrlSigner;
}

/** Notifications that a sync packet is ready for a mobile user (the packet topic). */
export function packetNotices(): PacketNotifier {
  packetNotifier ??= new PacketNotifier(envOf(packetTopic.envVar));
  return packetNotifier;
}

let eventReader: OperationalEvents | undefined;
let eventWriter: OperationalEvents | undefined;

/** The operational events kept in the messages table, for reading (GET /admin/events). */
export function operationalEvents(): OperationalEvents {
  eventReader ??= new OperationalEvents(envOf(messagesTable.envVar));
  return eventReader;
}

/**
 * Where use cases tell the operator (`eventsTopic:publish` and `messages:write`): each event is kept in
 * the messages table and published to the events topic.
 */
export function eventSink(): OperationalEvents {
  eventWriter ??= new OperationalEvents(envOf(messagesTable.envVar), envOf(eventsTopic.envVar));
  return eventWriter;
}

let refusalLog: RefusalLog | undefined;

/** Partners' refused requests (messages table; `requests:record` to keep them, `messages:read` to list). */
export function refusals(): RefusalLog {
  refusalLog ??= new RefusalLog(envOf(messagesTable.envVar));
  return refusalLog;
}

let jobRepository: JobRepository | undefined;
let failedDeliveryIndex: FailedDeliveries | undefined;

/** The operator's jobs (messages table). */
export function jobs(): JobRepository {
  jobRepository ??= new JobRepository(envOf(messagesTable.envVar));
  return jobRepository;
}

/** Failed deliveries by the time of their message (the message log's byDeliveryStatus index). */
export function failedDeliveries(): FailedDeliveries {
  failedDeliveryIndex ??= new FailedDeliveries(envOf(messagesTable.envVar));
  return failedDeliveryIndex;
}

/**
 * How many records this consumer's event source can have in flight at once, or undefined when not
 * set. Read at each call, not once: the local hub sets it whenever it starts its pollers.
 */
export function maxRecordsInFlight(): number | undefined {
  const n = Number(process.env[MAX_RECORDS_IN_FLIGHT_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

let loadedSettings: { ALLOW_LOOPBACK_OUTBOUND: boolean; PUBLIC_BASE_URL?: string | undefined } | undefined;

/** Settings that are not resources. Loopback delivery is allowed only where the local hub sets the flag. */
export function settings() {
  loadedSettings ??= loadConfig({
    ALLOW_LOOPBACK_OUTBOUND: flag(),
    PUBLIC_BASE_URL: z.optional(z.string()),
  });
  return loadedSettings;
}

/**
 * The adapters the entity-row use cases work with (usecases/entities.ts EntityPorts, without the
 * clock): the row store, and what a row's sends go through. For PUT /v1/entities, the row sweep and
 * the delivery worker's write-backs and Inbound applies alike.
 */
export function rowAdapters() {
  return {
    rows: entities(),
    ticks: rowTicks(),
    random: systemRandom,
    registry: registry(),
    enablements: enablements(),
    messages: messages(),
    payloads: payloads(),
    queue: deliveryQueue(),
  };
}
