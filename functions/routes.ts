import {
  DELIVERY_WORKER_TIMEOUT_SECONDS,
  PACKET_WORKER_TIMEOUT_SECONDS,
  UPLOAD_WORKER_TIMEOUT_SECONDS,
} from '../lib/resources.js';
import {
  h,
  type RouteDefinition,
  type ScheduledJobDefinition,
  type WorkerDefinition,
} from './route-types.js';
import * as credentials from './routes/admin/credentials.js';
import * as adminEnablements from './routes/admin/enablements.js';
import * as adminEvents from './routes/admin/events.js';
import * as integrations from './routes/admin/integrations.js';
import * as adminMessages from './routes/admin/messages.js';
import * as operations from './routes/admin/operations.js';
import * as adminPackets from './routes/admin/packets.js';
import * as partners from './routes/admin/partners.js';
import * as devicePackets from './routes/device/packets.js';
import * as deviceUrls from './routes/device/urls.js';
import * as enablements from './routes/enablements.js';
import * as entities from './routes/entities.js';
import { ERP_NOTES } from './routes/erp/notes.js';
import * as erpPackets from './routes/erp/packets.js';
import * as erpUrls from './routes/erp/urls.js';
import * as inbox from './routes/inbox.js';
import * as messageReads from './routes/message-reads.js';
import * as messages from './routes/messages.js';
import * as odata from './routes/odata.js';
import { ODATA_NOTES } from './routes/odata-notes.js';
import * as system from './routes/system.js';
import * as communications from './routes/threepl/communications.js';
import * as fields from './routes/threepl/fields.js';
import { THREEPL_NOTES } from './routes/threepl/notes.js';
import * as replication from './routes/threepl/replication.js';
import * as tokens from './routes/threepl/tokens.js';
import * as uploads from './routes/uploads.js';

export type {
  AuthKind,
  Face,
  HandlerRef,
  ResourceUse,
  ResponseDoc,
  RouteDefinition,
  ScheduledJobDefinition,
  WorkerDefinition,
} from './route-types.js';
export { answersOf, faceOf, usesOf } from './route-types.js';

/**
 * THE route table. A route is declared once, in the file under functions/routes/ that has the path
 * of its handler's file under functions/http/, and listed here. The CDK stack builds one Lambda
 * function and one API Gateway route per entry (bound to usesOf(route)), the local hub serves the same
 * handlers, and GET /openapi.json is generated from it. Handlers import their own declarations (so a
 * bundle holds only its own schemas), never this table.
 */

/** The seed's samples call /mobile/erp/...: the same handler and function answer there. */
const alsoUnderMobile = (r: RouteDefinition): RouteDefinition[] => [r, { ...r, path: `/mobile${r.path}` }];

export const routes: readonly RouteDefinition[] = [
  system.health,
  system.openapi,
  system.consoleRoot,
  system.consolePath,
  partners.createPartner,
  partners.listPartners,
  partners.getPartner,
  partners.createKey,
  partners.revokeKey,
  operations.listRefusedRequests,
  integrations.createIntegration,
  integrations.listIntegrations,
  integrations.getIntegration,
  integrations.patchIntegration,
  integrations.deleteIntegration,
  integrations.rotateSecret,
  integrations.enableIntegration,
  adminEnablements.listEnablementsAsAdmin,
  adminEnablements.consentAsAdmin,
  // The literal /odata/Integrations before /odata/{resource}: the local hub takes the first match.
  odata.serviceDocument,
  odata.listODataIntegrations,
  odata.createODataIntegration,
  odata.readOData,
  odata.patchODataIntegration,
  odata.deleteODataIntegration,
  adminMessages.listMessages,
  operations.retryMessages,
  adminMessages.getMessageAsAdmin,
  adminMessages.getPayloadAsAdmin,
  adminMessages.retryMessage,
  adminEvents.listEvents,
  adminPackets.listPackets,
  adminPackets.getCommunicationAsAdmin,
  operations.getJob,
  operations.getStats,
  messages.postMessage,
  messageReads.getMessage,
  messageReads.getPayload,
  uploads.postUpload,
  entities.putRow,
  entities.getRow,
  entities.listRows,
  entities.deleteRow,
  enablements.enable,
  enablements.listEnablements,
  enablements.getEnablement,
  enablements.patchEnablement,
  enablements.disable,
  enablements.consent,
  inbox.getInbox,
  inbox.inboxDone,
  tokens.generateToken,
  tokens.oauthToken,
  replication.replicationPost,
  communications.getCommunication,
  credentials.putCredentials,
  fields.getFieldDictionaries,
  fields.putFieldDictionary,
  ...[erpUrls.push, erpPackets.status, erpPackets.pull, erpUrls.link, erpPackets.done].flatMap(
    alsoUnderMobile,
  ),
  devicePackets.deviceList,
  deviceUrls.deviceLink,
  devicePackets.deviceDone,
  deviceUrls.deviceUpload,
];

/** The choices the contract leaves open on each face, for the OpenAPI description. */
export const FACE_NOTES: readonly string[] = [...THREEPL_NOTES, ...ERP_NOTES, ...ODATA_NOTES];

export const workers: readonly WorkerDefinition[] = [
  {
    id: 'Deliver',
    handler: h('workers/deliver.ts', 'handler'),
    // :send too: a job that finds no free in-flight permit is requeued as a fresh message. A row's
    // write-back stores a new version whose sends are messages like any other (payloads, both queues).
    // eventsTopic: a delivery that ends failed is told (delivery.exhausted), and so is an integration
    // that endpoint health disables (integration.disabled). registry:write: that health is written on
    // the integration (at most one conditional write per delivery end, when it changes).
    uses: [
      'registry:write',
      'messages:write',
      'payloads:read',
      'payloads:write',
      'deliveryQueue:consume',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
      'eventsTopic:publish',
    ],
    source: 'deliveryQueue',
    batchSize: 10,
    timeoutSeconds: DELIVERY_WORKER_TIMEOUT_SECONDS,
    maxConcurrency: 20,
    // Up to ten documents (each ≤ 10 MiB from uploads) may be in memory at once.
    memoryMb: 512,
  },
  {
    id: 'DeliverOrdered',
    handler: h('workers/deliver.ts', 'handler'),
    // :send on the standard queue: jobs of an integration switched to parallel move there. As Deliver:
    // endpoint health is written on the integration.
    uses: [
      'registry:write',
      'messages:write',
      'payloads:read',
      'payloads:write',
      'orderedDeliveryQueue:consume',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
      'eventsTopic:publish',
    ],
    source: 'orderedDeliveryQueue',
    batchSize: 10,
    timeoutSeconds: DELIVERY_WORKER_TIMEOUT_SECONDS,
    maxConcurrency: 10,
    memoryMb: 512,
  },
  {
    // Swept, not consumed: what it marks stays in the queue for SQS's redrive.
    id: 'DeadLetter',
    handler: h('workers/dead-letter.ts', 'sweep'),
    uses: [
      'messages:write',
      'deliveryDeadLetter:peek',
      'eventsTopic:publish',
      // A row's failed delivery is written back onto the row, which may trigger other sends.
      'registry:read',
      'payloads:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
    ],
    source: 'deliveryDeadLetter',
    sweepEveryMinutes: 5,
    batchSize: 10,
    timeoutSeconds: 60,
  },
  {
    id: 'OrderedDeadLetter',
    handler: h('workers/dead-letter.ts', 'handler'),
    uses: [
      'messages:write',
      'orderedDeliveryDeadLetter:consume',
      'eventsTopic:publish',
      // A row's failed delivery is written back onto the row, which may trigger other sends.
      'registry:read',
      'payloads:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
    ],
    source: 'orderedDeliveryDeadLetter',
    batchSize: 10,
    timeoutSeconds: 30,
  },
  {
    id: 'UploadLanded',
    handler: h('workers/upload-landed.ts', 'handler'),
    // :write: the accepted bytes are stored under payloads/, as a posted document's are.
    uses: [
      'registry:read',
      'messages:write',
      'payloads:read',
      'payloads:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
      'uploadQueue:consume',
    ],
    source: 'uploadQueue',
    batchSize: 10,
    timeoutSeconds: UPLOAD_WORKER_TIMEOUT_SECONDS,
    memoryMb: 512,
  },
  {
    id: 'UploadDeadLetter',
    handler: h('workers/upload-landed.ts', 'deadLetterHandler'),
    uses: ['messages:write', 'uploadDeadLetter:consume'],
    source: 'uploadDeadLetter',
    batchSize: 10,
    timeoutSeconds: 30,
  },
  // The packet worker and the handler of its dead-letter queue (seed 003).
  {
    id: 'PacketLanded',
    handler: h('workers/packet-landed.ts', 'handler'),
    uses: [
      'messages:write',
      'payloads:read',
      'payloads:write',
      'packetTopic:publish',
      'packetQueue:consume',
      'eventsTopic:publish',
    ],
    source: 'packetQueue',
    batchSize: 5,
    timeoutSeconds: PACKET_WORKER_TIMEOUT_SECONDS,
    // Converting a 16 MiB packet (the largest) took ~3 s and ~400 MB here; records go one at a time.
    memoryMb: 1024,
  },
  {
    id: 'PacketDeadLetter',
    handler: h('workers/packet-landed.ts', 'deadLetterHandler'),
    uses: ['messages:write', 'packetDeadLetter:consume', 'eventsTopic:publish'],
    source: 'packetDeadLetter',
    batchSize: 10,
    timeoutSeconds: 30,
  },
];

export const schedules: readonly ScheduledJobDefinition[] = [
  {
    // The minute tick: the row outbox (sends a crash left written on a row but not queued,
    // functions/usecases/entities.ts), then the running replay jobs' next slices (usecases/replay.ts).
    id: 'RowSweep',
    handler: h('workers/row-sweep.ts', 'handler'),
    uses: [
      'registry:read',
      'messages:write',
      'payloads:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
    ],
    everyMinutes: 1,
    timeoutSeconds: 60,
  },
];
