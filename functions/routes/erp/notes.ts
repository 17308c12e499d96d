import { PACKET_RETENTION_DAYS } from '../../../lib/resources.js';
import { MAX_FILE_BYTES, MAX_PACKET_BYTES, PACKET_URL_SECONDS } from '../../core/packet.js';

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
