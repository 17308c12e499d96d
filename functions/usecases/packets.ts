import type { PacketUrls } from '../adapters/packet-urls.js';
import type { PacketRepository } from '../adapters/packets.js';
import { type Clock, newId } from '../core/clock.js';
import { badRequest, conflict, notFound } from '../core/errors.js';
import {
  isExpired,
  maxBytesOf,
  mayDownload,
  PACKET_RETENTION_SECONDS,
  PACKET_URL_SECONDS,
  type Packet,
  type PacketDirection,
  type PacketReader,
  type PacketType,
  packetIdOfPath,
  packetObjectKey,
  sameAnnouncement,
  servedKeyOf,
  uniqueIdScope,
} from '../core/packet.js';

export interface PacketPorts {
  packets: PacketRepository;
  clock: Clock;
}

/** Announcing and linking also sign URLs. */
export interface SigningPorts extends PacketPorts {
  urls: PacketUrls;
}

/** A packet announced by an ERP push or a device upload, before its bytes exist. */
export interface Announcement {
  appArea: string;
  mobileUser: string;
  direction: PacketDirection;
  packetUniqueId: string;
  size: number;
  packetType: PacketType;
}

export interface Announced {
  syncLogId: string;
  uploadPath: string;
  expiresAt: string;
}

/**
 * Announces a packet: records it and hands back a presigned PUT for exactly `size` bytes under a key
 * the hub chose. The same packetUniqueId again, before the upload was processed, answers the same
 * syncLogId with a fresh URL (a retry after a lost answer or an expired URL); once the upload was
 * processed (ready, done or failed) it is 409, as is the id reused for a different packet.
 */
export async function announcePacket(ports: SigningPorts, a: Announcement): Promise<Announced> {
  const max = maxBytesOf(a.packetType);
  if (!Number.isInteger(a.size) || a.size < 1 || a.size > max) {
    throw badRequest('invalid_parameter', `size must be the packet's byte count, 1 to ${max}.`);
  }
  const now = ports.clock.now();
  const expiresAt = Math.floor(now / 1000) + PACKET_RETENTION_SECONDS;
  const id = newId('pkt', now);
  const fresh = (packetId: string): Packet => ({
    id: packetId,
    ...a,
    status: 'awaiting',
    createdAt: new Date(now).toISOString(),
    objectKey: packetObjectKey(a.appArea, packetId),
    expiresAt,
  });
  const holder = await ports.packets.claimUniqueId(
    uniqueIdScope(a),
    a.packetUniqueId,
    id,
    expiresAt,
    Math.floor(now / 1000),
  );
  // createOrGet also finishes an announcement that stopped between its claim and its record.
  const packet =
    holder === undefined
      ? await ports.packets.createOrGet(fresh(id))
      : ((await ports.packets.get(holder)) ?? (await ports.packets.createOrGet(fresh(holder))));
  if (holder !== undefined) {
    if (!sameAnnouncement(packet, a)) {
      throw conflict(
        'packet_unique_id_in_use',
        `packetUniqueId ${a.packetUniqueId} was announced for another packet (syncLogId ${packet.id}: mobileUser ${packet.mobileUser}, ${packet.size} bytes of ${packet.packetType}); use a new packetUniqueId.`,
      );
    }
    if (packet.status !== 'awaiting') {
      throw conflict(
        'already_uploaded',
        `The packet ${a.packetUniqueId} was uploaded already (syncLogId ${packet.id}, status ${packet.status}); a new packet needs a new packetUniqueId.`,
      );
    }
  }
  return {
    syncLogId: packet.id,
    uploadPath: await ports.urls.put(packet.objectKey, packet.size, PACKET_URL_SECONDS),
    expiresAt: new Date(now + PACKET_URL_SECONDS * 1000).toISOString(),
  };
}

/** A packet of the area, by syncLogId; another area's, an unknown or an expired one is 404. */
export async function packetOfArea(ports: PacketPorts, appArea: string, syncLogId: string): Promise<Packet> {
  const packet = /^pkt_[0-9a-z]{26}$/.test(syncLogId) ? await ports.packets.get(syncLogId) : undefined;
  if (!packet || packet.appArea !== appArea || isExpired(packet, ports.clock.now())) {
    throw notFound(`The packet ${syncLogId}`);
  }
  return packet;
}

/** One entry of a pull listing: the contract's fields. */
export interface PacketListing {
  id: string;
  receiptHandle: string;
  /**
   * The storage path to exchange at `link` for a download URL: what the hub wrote after its check (the
   * checked copy for the ERP, the native form for a device), never the upload key.
   */
  url: string;
  mobileUser: string;
  packetUniqueId: string;
  packetType: PacketType;
  size: number;
  createdAt: string;
}

/** Leases up to `limit` ready packets of a mailbox for `visibilitySeconds`, oldest first. */
export async function pullPackets(
  ports: PacketPorts,
  mailbox: string,
  limit: number,
  visibilitySeconds: number,
): Promise<PacketListing[]> {
  const leased = await ports.packets.lease(mailbox, limit, ports.clock.now(), visibilitySeconds);
  return leased.map(({ packet: p, receiptHandle }) => ({
    id: p.id,
    receiptHandle,
    // Only a record settled before checked copies existed lacks one; link refuses its upload key.
    url: servedKeyOf(p) ?? p.objectKey,
    mobileUser: p.mobileUser,
    packetUniqueId: p.packetUniqueId,
    packetType: p.packetType,
    size: p.size,
    createdAt: p.createdAt,
  }));
}

/** A presigned GET, valid 15 minutes, for a path this reader may download; anything else is 404. */
export async function packetLink(ports: SigningPorts, reader: PacketReader, path: string): Promise<string> {
  const id = packetIdOfPath(path);
  const packet = id ? await ports.packets.get(id) : undefined;
  const live = packet && !isExpired(packet, ports.clock.now()) ? packet : undefined;
  if (!mayDownload(live, path, reader)) throw notFound('The packet path');
  return ports.urls.get(path, PACKET_URL_SECONDS);
}

/**
 * Completes leased packets of the reader's mailboxes. Returns the items that could not be completed
 * (unknown id, another reader's packet, a stale handle); the others are done, each exactly once.
 */
export async function completePackets(
  ports: PacketPorts,
  mailboxes: readonly string[],
  items: readonly { id: string; receiptHandle: string }[],
): Promise<{ id: string; error: string }[]> {
  const now = ports.clock.now();
  const results = await Promise.all(
    items.map(async (item) => ({
      item,
      done: await ports.packets.complete(item.id, mailboxes, item.receiptHandle, now),
    })),
  );
  return results
    .filter((r) => !r.done)
    .map(({ item }) => ({
      id: item.id,
      error:
        'unknown id, or the receipt handle is stale (its lease ended, a newer one exists, or it was done)',
    }));
}

/**
 * GET /admin/packets/{appArea}: the operator's page of an area's packets, newest first, each failed
 * one with its reason (the operator sees every area; a partner sees only its own through seed 003's
 * routes).
 */
export async function packetsOfArea(
  ports: { packets: Pick<PacketRepository, 'listArea'> },
  appArea: string,
  q: { status?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const page = await ports.packets.listArea(appArea, q);
  return {
    packets: page.packets.map((p) => ({
      syncLogId: p.id,
      appArea: p.appArea,
      mobileUser: p.mobileUser,
      direction: p.direction,
      packetType: p.packetType,
      packetUniqueId: p.packetUniqueId,
      size: p.size,
      status: p.status,
      ...(p.error ? { error: p.error } : {}),
      ...(p.note ? { note: p.note } : {}),
      createdAt: p.createdAt,
      ...(p.readyAt ? { readyAt: p.readyAt } : {}),
      ...(p.doneAt ? { doneAt: p.doneAt } : {}),
    })),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}
