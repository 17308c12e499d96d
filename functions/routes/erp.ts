import { PACKET_RETENTION_DAYS, PACKET_WORKER_TIMEOUT_SECONDS } from '../../lib/resources.js';
import { DEFAULT_VISIBILITY_SECONDS, MAX_LEASE_BATCH, MAX_VISIBILITY_SECONDS } from '../core/lease.js';
import {
  DeviceUploadQuerySchema,
  DoneQuerySchema,
  LinkQuerySchema,
  ListQuerySchema,
  MAX_FILE_BYTES,
  MAX_PACKET_BYTES,
  PACKET_URL_SECONDS,
  PullQuerySchema,
  PushQuerySchema,
} from '../core/packet.js';
import { h, type RouteDefinition, type WorkerDefinition } from '../route-types.js';

const MiB = (bytes: number) => `${bytes / 1024 / 1024} MiB`;

/** The choices seed 003 and the contract leave open, for the OpenAPI description. */
export const ERP_NOTES: readonly string[] = [
  'ERP sync packets and the device API (seed 003):',
  '- Errors are {"success":false,"error":{"code","message"}}, listings in XML included. Keys travel in x-api-key only; the seed’s Content-Type header on GETs is accepted but not required.',
  `- Push and device upload: packetType xml or json (a device also file); size 1 byte to ${MiB(MAX_PACKET_BYTES)} (files ${MiB(MAX_FILE_BYTES)}). The answer adds expiresAt (the upload URL's end, ${PACKET_URL_SECONDS / 60} minutes). Only Content-Length is signed, so any Content-Type may be sent. The upload lands at packets/{appArea}/{syncLogId}; nothing is ever downloaded from there.`,
  '- packetUniqueId is unique per app area for ERP pushes, per app area and mobile user for device uploads. Announcing it again while the packet awaits its upload answers the same syncLogId with a fresh URL; once the upload was processed (ready, done or failed), or for a different mobileUser, size or packetType, the answer is 409.',
  '- Packet status: awaiting (no upload processed yet) → ready (checked; waiting for its reader) → done; or failed with error (wrong size, malformed packet, salesmancode not the mobile user, …).',
  '- Packets are read as UTF-8 (or UTF-16 with a BOM). XML: root NavMobileSync with salesmancode (any case), table elements with a unique tablename, r records with status insert|update|delete (inserted and no status read as insert); every record needs DMS_ROWID; a field with xsi:nil="true" is null and left out; values keep their whitespace; entities are XML’s five and numeric references (any other is an error); DOCTYPE refused. JSON: the native form; salesmanCode is also read; field values are strings or null. Device xml/json uploads are checked the same way (not converted); files are not read.',
  '- Pull (ERP and device): up to limit packets (1–100, default 100) per call, oldest first, each leased for visibilityTimeout seconds (1–43200, default 900). url is the packet’s storage path: exchange it at link for a presigned GET; a device’s url is the native JSON form. packetType and size describe the packet as announced.',
  '- link: only the paths a pull listed (the hub’s copy of a checked device upload, or the native form of an ERP→device packet) of the caller’s area (a device: its own user’s), of a ready or done packet; anything else is 404.',
  '- What is downloaded is exactly what was checked: the hub writes it after the check, under a key no upload URL reaches. An upload URL used again while it is valid (S3 takes the write) changes nothing that is served; the status route shows it as note.',
  '- done: JSON by default; XML when format=xml or the Content-Type says xml. Completing twice, or with a stale handle, lists the item in failed.',
  `- A notification for each ERP→device packet that becomes ready is published on the PacketTopic SNS topic (message attributes type, appArea, mobileUser; body {"type":"packet.ready","appArea","mobileUser","syncLogId","packetUniqueId","readyAt"}), at least once.`,
  `- Packets and their objects are kept ${PACKET_RETENTION_DAYS} days.`,
];

const erpRoute = (r: RouteDefinition): RouteDefinition[] => [
  r,
  // The seed's samples call /mobile/erp/...: the same handler and function answer there.
  { ...r, path: `/mobile${r.path}` },
];

const deviceAuth = {
  401: 'no key',
  403: 'key revoked or unknown, not scoped device, another area, or bound to another user',
};
const erpAuth = { 401: 'no key', 403: 'key revoked or unknown, not scoped erp, or another area’s' };

/** Seed 003's ERP API, under /erp and /mobile/erp, and the device API. */
export const erpRoutes: readonly RouteDefinition[] = [
  ...erpRoute({
    method: 'GET',
    path: '/erp/push/{appArea}/{mobileUser}',
    handler: h('http/erp/urls.ts', 'push'),
    auth: 'apiKey',
    summary: `Announce a packet for a mobile user: a syncLogId and a presigned PUT (${PACKET_URL_SECONDS / 60} minutes, exactly size bytes)`,
    uses: ['registry:read', 'messages:write', 'packets:presignUpload'],
    query: PushQuerySchema,
    responses: {
      200: '{"success":true,"syncLogId","uploadPath","expiresAt"}',
      400: 'missing or invalid packetUniqueId, size or packetType',
      ...erpAuth,
      409: 'packetUniqueId uploaded already, or announced for another packet',
    },
  }),
  ...erpRoute({
    method: 'GET',
    path: '/erp/status/{appArea}/{syncLogId}',
    handler: h('http/erp/packets.ts', 'status'),
    auth: 'apiKey',
    summary: 'A packet’s status (awaiting, ready, done, failed) and why it failed',
    uses: ['registry:read', 'messages:read'],
    responses: {
      200: '{"success":true,"syncLogId","status","error"?,"note"?,"direction","mobileUser","packetUniqueId","packetType","size","createdAt"}',
      ...erpAuth,
      404: 'unknown, expired, or another area’s',
    },
  }),
  ...erpRoute({
    method: 'GET',
    path: '/erp/pull/{appArea}',
    handler: h('http/erp/packets.ts', 'pull'),
    auth: 'apiKey',
    summary: `Lease the area’s ready device→ERP packets (packetType packet|file, format json|xml, limit ≤ ${MAX_LEASE_BATCH}, visibilityTimeout 1–${MAX_VISIBILITY_SECONDS} s, default ${DEFAULT_VISIBILITY_SECONDS})`,
    uses: ['registry:read', 'messages:write'],
    query: PullQuerySchema,
    responses: {
      200: '{"success":true,"packets":[{"id","receiptHandle","url","mobileUser","packetUniqueId","packetType","size","createdAt"}]} or <packets><packet>…</packet></packets>',
      400: 'bad packetType, format, limit or visibilityTimeout',
      ...erpAuth,
    },
  }),
  ...erpRoute({
    method: 'GET',
    path: '/erp/pull/{appArea}/link',
    handler: h('http/erp/urls.ts', 'link'),
    auth: 'apiKey',
    summary: `A presigned GET (${PACKET_URL_SECONDS / 60} minutes) for a url a pull listed, as text/plain`,
    uses: ['registry:read', 'messages:read', 'packets:presignDownload'],
    query: LinkQuerySchema,
    responses: { 200: 'the URL (text/plain)', 400: 'no path', ...erpAuth, 404: 'a path outside the area' },
  }),
  ...erpRoute({
    method: 'POST',
    path: '/erp/pull/{appArea}/done',
    handler: h('http/erp/packets.ts', 'done'),
    auth: 'apiKey',
    summary:
      'Complete leased packets: JSON [{"id","receiptHandle"}] or XML <messages><message><id/><receiptHandle/></message></messages>',
    uses: ['registry:read', 'messages:write'],
    query: DoneQuerySchema,
    rawBody: 'application/json, application/xml',
    responses: {
      200: '{"success":true} or {"success":false,"failed":[{"id","error"}]} (the others are done)',
      400: 'malformed body (nothing is done)',
      ...erpAuth,
    },
  }),
  {
    method: 'GET',
    path: '/device/{appArea}/{mobileUser}/packets',
    handler: h('http/device/packets.ts', 'list'),
    auth: 'apiKey',
    summary: 'Lease the user’s ready ERP→device packets (as ERP pull; url is the native JSON form)',
    uses: ['registry:read', 'messages:write'],
    query: ListQuerySchema,
    responses: {
      200: '{"success":true,"packets":[…]} or <packets>…</packets>',
      400: 'bad parameter',
      ...deviceAuth,
    },
  },
  {
    method: 'GET',
    path: '/device/{appArea}/{mobileUser}/link',
    handler: h('http/device/urls.ts', 'link'),
    auth: 'apiKey',
    summary: `A presigned GET (${PACKET_URL_SECONDS / 60} minutes) for a url the user’s pull listed, as text/plain`,
    uses: ['registry:read', 'messages:read', 'packets:presignDownload'],
    query: LinkQuerySchema,
    responses: {
      200: 'the URL (text/plain)',
      400: 'no path',
      ...deviceAuth,
      404: 'not one of the user’s packets',
    },
  },
  {
    method: 'POST',
    path: '/device/{appArea}/{mobileUser}/done',
    handler: h('http/device/packets.ts', 'done'),
    auth: 'apiKey',
    summary: 'Complete the user’s leased packets (as ERP done)',
    uses: ['registry:read', 'messages:write'],
    query: DoneQuerySchema,
    rawBody: 'application/json, application/xml',
    responses: {
      200: '{"success":true} or {"success":false,"failed":[{"id","error"}]}',
      400: 'malformed body (nothing is done)',
      ...deviceAuth,
    },
  },
  {
    method: 'GET',
    path: '/device/{appArea}/{mobileUser}/upload',
    handler: h('http/device/urls.ts', 'upload'),
    auth: 'apiKey',
    summary: 'Announce a packet or file for the ERP: a syncLogId and a presigned PUT (exactly size bytes)',
    uses: ['registry:read', 'messages:write', 'packets:presignUpload'],
    query: DeviceUploadQuerySchema,
    responses: {
      200: '{"success":true,"syncLogId","uploadPath","expiresAt"}',
      400: 'missing or invalid packetUniqueId, size or packetType',
      ...deviceAuth,
      409: 'packetUniqueId uploaded already, or announced for another packet',
    },
  },
];

/** The packet worker and the handler of its dead-letter queue. */
export const erpWorkers: readonly WorkerDefinition[] = [
  {
    id: 'PacketLanded',
    handler: h('workers/packet-landed.ts', 'handler'),
    uses: ['messages:write', 'payloads:read', 'payloads:write', 'packetTopic:publish', 'packetQueue:consume'],
    source: 'packetQueue',
    batchSize: 5,
    timeoutSeconds: PACKET_WORKER_TIMEOUT_SECONDS,
    // Converting a 16 MiB packet (the largest) took ~3 s and ~400 MB here; records go one at a time.
    memoryMb: 1024,
  },
  {
    id: 'PacketDeadLetter',
    handler: h('workers/packet-landed.ts', 'deadLetterHandler'),
    uses: ['messages:write', 'packetDeadLetter:consume'],
    source: 'packetDeadLetter',
    batchSize: 10,
    timeoutSeconds: 30,
  },
];
