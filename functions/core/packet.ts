import * as z from 'zod/mini';
import { PACKET_RETENTION_DAYS, packetPrefixes } from '../../lib/resources.js';
import { MAX_LEASE_BATCH } from './lease.js';
import { wholeNumber, wholeNumberString } from './numbers.js';
import type { ObjectWrite } from './object-write.js';

/**
 * Sync packets (seed 003): an ERP pushes packets for a mobile user, devices upload packets for the
 * ERP. Each packet is announced (a record and a presigned PUT), lands in S3, is checked and converted
 * by the packet worker, then waits in a leased mailbox until its reader marks it done.
 */

/** Presigned PUT and GET URLs are valid this long (the seed's "next 15 minutes"). */
export const PACKET_URL_SECONDS = 15 * 60;
/** The largest xml/json packet: it is parsed whole in the worker's memory. */
export const MAX_PACKET_BYTES = 16 * 1024 * 1024;
/** The largest device file (never parsed, only passed on). */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
export const PACKET_RETENTION_SECONDS = PACKET_RETENTION_DAYS * 86_400;

/** ERP→device (pushed by the ERP, read by one mobile user) or device→ERP (uploaded by a device). */
export type PacketDirection = 'toDevice' | 'toErp';
export type PacketType = 'xml' | 'json' | 'file';
/**
 * awaiting: announced, the upload has not been processed · ready: checked (and converted), waiting for
 * its reader · done: its reader completed it · failed: the upload was refused (see `error`).
 */
export type PacketStatus = 'awaiting' | 'ready' | 'done' | 'failed';

export interface Packet {
  /** The syncLogId. */
  id: string;
  appArea: string;
  mobileUser: string;
  direction: PacketDirection;
  packetType: PacketType;
  packetUniqueId: string;
  size: number;
  status: PacketStatus;
  error?: string;
  createdAt: string;
  /**
   * Where the upload lands (the hub chose it). Its presigned PUT may be used again while it is valid,
   * so nothing is ever served from here: readers get what the worker wrote after its check.
   */
  objectKey: string;
  /** Device→ERP only, once checked: the hub's copy of the checked upload (`url` in ERP listings). */
  checkedKey?: string;
  /** ERP→device only, once converted: the native JSON form (`url` in device listings). */
  nativeKey?: string;
  /** The write of `objectKey` that was checked (or refused), to tell a repeated notification from a new write. */
  checkedWrite?: ObjectWrite;
  /** What the hub noticed after the check: the upload URL was used again (that write changed nothing). */
  note?: string;
  readyAt?: string;
  doneAt?: string;
  /** ERP→device: the ready notification was published (a retried worker publishes it again otherwise). */
  notified?: boolean;
  /** Epoch seconds: the record's TTL, matching the bucket's expiry of the objects. */
  expiresAt: number;
}

export const packetObjectKey = (appArea: string, id: string) => `${packetPrefixes.upload}${appArea}/${id}`;
/**
 * The keys the worker writes after a check carry that check's own id: two workers checking two writes
 * of one upload at once write two objects, and the packet names only the one whose check settled it.
 */
export const checkedObjectKey = (appArea: string, id: string, check: string) =>
  `${packetPrefixes.checked}${appArea}/${id}/${check}`;
export const nativeObjectKey = (appArea: string, id: string, check: string) =>
  `${packetPrefixes.native}${appArea}/${id}/${check}.json`;

/** What a reader downloads: the checked copy (device→ERP) or the native form (ERP→device). */
export const servedKeyOf = (p: Pick<Packet, 'direction' | 'checkedKey' | 'nativeKey'>) =>
  p.direction === 'toDevice' ? p.nativeKey : p.checkedKey;

/** The packet id in an upload key the hub handed out, or undefined for any other key. */
export function packetIdOfKey(key: string): string | undefined {
  if (!key.startsWith(packetPrefixes.upload)) return undefined;
  const parts = key.slice(packetPrefixes.upload.length).split('/');
  return parts.length === 2 && /^pkt_[0-9a-z]{26}$/.test(parts[1] ?? '') ? parts[1] : undefined;
}

/**
 * The mailbox a ready packet waits in (the sparse `byInbox` index): per area and kind for the ERP
 * (its pull lists packets or files), per area and user for a device.
 */
export function mailboxOf(p: Pick<Packet, 'appArea' | 'mobileUser' | 'direction' | 'packetType'>): string {
  return p.direction === 'toErp'
    ? erpMailbox(p.appArea, p.packetType === 'file' ? 'file' : 'packet')
    : deviceMailbox(p.appArea, p.mobileUser);
}
export const erpMailbox = (appArea: string, kind: PullKind) => `PKT#${appArea}#toErp#${kind}`;
export const erpMailboxes = (appArea: string) => [erpMailbox(appArea, 'packet'), erpMailbox(appArea, 'file')];
export const deviceMailbox = (appArea: string, mobileUser: string) => `PKT#${appArea}#toDevice#${mobileUser}`;
/** Mailboxes are read oldest first; the id breaks ties within a millisecond. */
export const mailboxSort = (p: Pick<Packet, 'readyAt' | 'createdAt' | 'id'>) =>
  `${p.readyAt ?? p.createdAt}#${p.id}`;

/** Who reads a link: an ERP (its whole area) or a device (one user of the area). */
export interface PacketReader {
  appArea: string;
  mobileUser?: string;
}

/**
 * May this reader download `path`? Only what one of the area's packets serves (the checked copy or
 * the native form, never the upload key), only while the packet is ready or done, and for a device
 * only its own user's packets.
 */
export function mayDownload(packet: Packet | undefined, path: string, reader: PacketReader): boolean {
  if (!packet || packet.appArea !== reader.appArea) return false;
  if (reader.mobileUser !== undefined && packet.mobileUser !== reader.mobileUser) return false;
  if (packet.status !== 'ready' && packet.status !== 'done') return false;
  const served = servedKeyOf(packet);
  return served !== undefined && path === served;
}

/** The packet id named by a storage path the hub writes (`<prefix>/<area>/<id>[/<check>][.json]`), or undefined. */
export function packetIdOfPath(path: string): string | undefined {
  const m = /^[^/]+\/[^/]+\/(pkt_[0-9a-z]{26})(?:\/[0-9a-z_]{1,64})?(?:\.json)?$/.exec(path);
  return m?.[1];
}

/** A repeated announcement names the same packet only if it says the same things about it. */
export const sameAnnouncement = (
  p: Pick<Packet, 'mobileUser' | 'packetType' | 'size'>,
  a: Pick<Packet, 'mobileUser' | 'packetType' | 'size'>,
) => p.mobileUser === a.mobileUser && p.packetType === a.packetType && p.size === a.size;

export const maxBytesOf = (type: PacketType) => (type === 'file' ? MAX_FILE_BYTES : MAX_PACKET_BYTES);

// ---- Request parameters (validated at the edge; the same schemas describe the routes in OpenAPI) ----

/** A mobile user name: it is part of storage keys, so no `#`, `/` or control characters. */
export const MobileUserSchema = z
  .string()
  .check(
    z.minLength(1, 'is required'),
    z.maxLength(128, 'is at most 128 characters'),
    z.regex(/^[^#/\p{Cc}]+$/u, 'may not contain #, / or control characters'),
  );

const packetUniqueId = z
  .string({ error: 'is required: the packet’s unique identifier' })
  .check(
    z.minLength(1, 'is required: the packet’s unique identifier'),
    z.maxLength(255, 'is at most 255 characters'),
    z.regex(/^[^\p{Cc}]+$/u, 'may not contain control characters'),
  );
const size = wholeNumberString(
  'must be the packet’s size in bytes',
  'is required: the packet’s size in bytes',
);
const lowerCase = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

/** GET /erp/push/{appArea}/{mobileUser}: the ERP announces a packet for a user (xml or json). */
export const PushQuerySchema = z.object({
  packetUniqueId,
  size,
  packetType: z.pipe(z.transform(lowerCase), z.enum(['xml', 'json'], { error: 'must be xml or json' })),
});

/** GET /device/{appArea}/{mobileUser}/upload: a device announces a packet or a file for the ERP. */
export const DeviceUploadQuerySchema = z.object({
  packetUniqueId,
  size,
  packetType: z.pipe(
    z.transform(lowerCase),
    z.enum(['xml', 'json', 'file'], { error: 'must be xml, json or file' }),
  ),
});

export type PullKind = 'packet' | 'file';
const format = z.optional(
  z.pipe(z.transform(lowerCase), z.enum(['xml', 'json'], { error: 'must be xml or json' })),
);
const limit = z.optional(wholeNumberString(`must be a whole number from 1 to ${MAX_LEASE_BATCH}`));

/** GET /device/{appArea}/{mobileUser}/packets: a device's listing, and what an ERP pull adds to it. */
export const ListQuerySchema = z.object({ format, visibilityTimeout: z.optional(z.string()), limit });

/** GET /erp/pull/{appArea}: the listing's parameters and which kind of upload (packets or files). */
export const PullQuerySchema = z.extend(ListQuerySchema, {
  packetType: z.optional(
    z.pipe(z.transform(lowerCase), z.enum(['packet', 'file'], { error: 'must be packet or file' })),
  ),
});

export const LinkQuerySchema = z.object({
  path: z.string({ error: 'is required: the url of a listed packet' }).check(z.minLength(1, 'is required')),
});

export const DoneQuerySchema = z.object({ format });

/** `limit` of a pull: 1 to MAX_LEASE_BATCH, all of them by default (the seed's pull has no limit). */
export function pullLimit(raw: string | undefined): number | undefined {
  return raw === undefined ? MAX_LEASE_BATCH : wholeNumber(raw, 1, MAX_LEASE_BATCH);
}

/**
 * The scope in which a packetUniqueId must be unique: an ERP's pushes per area; a device's uploads per
 * area and user (devices make their ids up independently of each other).
 */
export const uniqueIdScope = (p: Pick<Packet, 'appArea' | 'direction' | 'mobileUser'>) =>
  p.direction === 'toDevice' ? `${p.appArea}#toDevice` : `${p.appArea}#toErp#${p.mobileUser}`;

/** DynamoDB deletes expired items within days, not at once: an expired packet is read as gone. */
export const isExpired = (p: Pick<Packet, 'expiresAt'>, now: number) => p.expiresAt * 1000 <= now;
