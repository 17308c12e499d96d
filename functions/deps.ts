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
  SETTINGS,
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
import { environment, flag, loadConfig, requiredEnv } from './config.js';
import { systemRandom } from './core/random.js';

/**
 * The adapters a function needs, each built once per process from its own environment variables.
 * They are separate exports (not one object) so that a bundle holds only the AWS clients its handler
 * really uses, and a function bound to fewer resources still starts. The variables are read on every
 * call, not only the first: in the local hub, where all functions share one process, a function whose
 * uses lack one fails as it would on AWS, even after another function built the same adapter.
 */
const built = new Map<string, unknown>();

function adapter<T>(
  name: string,
  values: readonly (string | undefined)[],
  build: (...values: string[]) => T,
): T {
  const key = [name, ...values].join('\n');
  let made = built.get(key) as T | undefined;
  if (made === undefined) {
    made = build(...(values as string[]));
    built.set(key, made);
  }
  return made;
}

const messagesTableName = () => requiredEnv(messagesTable.envVar);
const registryTableName = () => requiredEnv(registryTable.envVar);
const bucketName = () => requiredEnv(payloadBucket.envVar);

export function registry(): RegistryRepository {
  return adapter('registry', [registryTableName()], (t) => new RegistryRepository(t));
}

/** Clients' enablements of managed integrations (the registry table). */
export function enablements(): EnablementRepository {
  return adapter('enablements', [registryTableName()], (t) => new EnablementRepository(t));
}

/** Messages and deliveries; what they accept and end is counted in the hourly statistics. */
export function messages(): MessageRepository {
  return adapter('messages', [messagesTableName()], (t) => new MessageRepository(t, deliveryStats()));
}

/** The hourly counters of GET /admin/stats (messages table). */
export function deliveryStats(): DeliveryStats {
  return adapter('deliveryStats', [messagesTableName()], (t) => new DeliveryStats(t));
}

/** The operator's message log (the messages table's log indexes). */
export function messageLog(): MessageLog {
  return adapter('messageLog', [messagesTableName()], (t) => new MessageLog(t));
}

export function payloads(): PayloadStore {
  return adapter('payloads', [bucketName()], (b) => new PayloadStore(b));
}

export function entities(): EntityRepository {
  return adapter('entities', [messagesTableName()], (t) => new EntityRepository(t));
}

/** Continuous integrations' re-sends of rows (the messages table). */
export function rowTicks(): RowTicks {
  return adapter('rowTicks', [messagesTableName()], (t) => new RowTicks(t));
}

export function uploads(): UploadRepository {
  return adapter('uploads', [messagesTableName(), bucketName()], (t, b) => new UploadRepository(t, b));
}

/** Upload records alone, for a function bound to the messages table but not the bucket. */
export function uploadRecords(): UploadRepository {
  return adapter('uploadRecords', [messagesTableName()], (t) => new UploadRepository(t));
}

/** Both delivery queues; each function is bound only to those it uses, so either URL may be absent. */
export function deliveryQueue(): DeliveryQueue {
  const env = environment();
  const standard = env[deliveryQueueDefinition.envVar];
  const ordered = env[orderedDeliveryQueue.envVar];
  return adapter('deliveryQueue', [standard, ordered], () => new DeliveryQueue({ standard, ordered }));
}

/** The standard delivery queue's dead-letter queue, for the sweep that reads it without deleting. */
export function deliveryDeadLetters(): DeadLetterQueue {
  const url = requiredEnv(deliveryQueueDefinition.deadLetter.envVar);
  return adapter('deliveryDeadLetters', [url], (u) => new DeadLetterQueue(u));
}

/** Each parallel integration's in-flight permits (messages table). */
export function inFlight(): InFlightPermits {
  return adapter('inFlight', [messagesTableName()], (t) => new InFlightPermits(t));
}

/** 3PL credentials, login failures and access tokens (registry table). */
export function credentials(): CredentialRepository {
  return adapter('credentials', [registryTableName()], (t) => new CredentialRepository(t));
}

/** The operator's additions to the 3PL field dictionary (registry table). */
export function fieldDictionaries(): FieldDictionaryRepository {
  return adapter('fieldDictionaries', [registryTableName()], (t) => new FieldDictionaryRepository(t));
}

/** 3PL replication posts and their apiuuid claims (messages table). */
export function communications(): CommunicationRepository {
  return adapter('communications', [messagesTableName()], (t) => new CommunicationRepository(t));
}

/** Sync packets and their mailboxes (messages table). */
export function packets(): PacketRepository {
  return adapter('packets', [messagesTableName()], (t) => new PacketRepository(t));
}

/** Presigned URLs for sync packet objects (payload bucket). */
export function packetUrls(): PacketUrls {
  return adapter('packetUrls', [bucketName()], (b) => new PacketUrls(b));
}

/** Notifications that a sync packet is ready for a mobile user (the packet topic). */
export function packetNotices(): PacketNotifier {
  return adapter('packetNotices', [requiredEnv(packetTopic.envVar)], (arn) => new PacketNotifier(arn));
}

/** The operational events kept in the messages table, for reading (GET /admin/events). */
export function operationalEvents(): OperationalEvents {
  return adapter('operationalEvents', [messagesTableName()], (t) => new OperationalEvents(t));
}

/**
 * Where use cases tell the operator (`eventsTopic:publish` and `messages:write`): each event is kept in
 * the messages table and published to the events topic.
 */
export function eventSink(): OperationalEvents {
  return adapter(
    'eventSink',
    [messagesTableName(), requiredEnv(eventsTopic.envVar)],
    (t, arn) => new OperationalEvents(t, arn),
  );
}

/** Partners' refused requests (messages table; `requests:record` to keep them, `messages:read` to list). */
export function refusals(): RefusalLog {
  return adapter('refusals', [messagesTableName()], (t) => new RefusalLog(t));
}

/** The operator's jobs (messages table). */
export function jobs(): JobRepository {
  return adapter('jobs', [messagesTableName()], (t) => new JobRepository(t));
}

/** Failed deliveries by the time of their message (the message log's byDeliveryStatus index). */
export function failedDeliveries(): FailedDeliveries {
  return adapter('failedDeliveries', [messagesTableName()], (t) => new FailedDeliveries(t));
}

/**
 * How many records this consumer's event source can have in flight at once, or undefined when not
 * set. Read from process.env at each call: the local hub sets it whenever it starts its pollers.
 */
export function maxRecordsInFlight(): number | undefined {
  const n = Number(process.env[MAX_RECORDS_IN_FLIGHT_ENV]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Settings that are not resources. Loopback delivery is allowed only where the local hub sets the flag;
 * the API's URL is given to workers and jobs only. Read per call, like the adapters' variables.
 */
export function settings(): { allowLoopbackOutbound: boolean; publicBaseUrl: string | undefined } {
  const read = loadConfig({
    [SETTINGS.allowLoopbackOutbound]: flag(),
    [SETTINGS.publicBaseUrl]: z.optional(z.string()),
  });
  return {
    allowLoopbackOutbound: read[SETTINGS.allowLoopbackOutbound] as boolean,
    publicBaseUrl: read[SETTINGS.publicBaseUrl] as string | undefined,
  };
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
