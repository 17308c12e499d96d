import { packetPrefixes } from '../../lib/resources.js';
import type { PacketNotices } from '../adapters/notifications.js';
import type { PacketRepository, SettledPacket } from '../adapters/packets.js';
import type { PayloadStore } from '../adapters/payloads.js';
import { type Clock, newId } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import { isAnotherWrite, type ObjectWrite } from '../core/object-write.js';
import { checkedObjectKey, nativeObjectKey, type Packet, packetIdOfKey } from '../core/packet.js';
import { convertPacket } from '../core/packet-format.js';
import { capReason } from '../core/reason.js';
import { recordMetric } from '../observability.js';
import { tell } from './events.js';

export interface LandedPacketPorts {
  packets: PacketRepository;
  payloads: PayloadStore;
  notices: PacketNotices;
  /** Where a packet that fails is told (`packet.failed`); see usecases/events.ts `tell`. */
  events: EventSink;
  clock: Clock;
}

/** `overwritten`: the upload key was written again after the packet was settled; that changed nothing. */
export type LandedOutcome = 'ready' | 'failed' | 'ignored' | 'overwritten';

/**
 * A packet's bytes landed under packets/: check the size, read and convert the packet, store what its
 * reader will download (outside any presigned PUT's reach), mark the packet ready in its reader's
 * mailbox, and tell the device's push service. Idempotent: a repeated notification finds the packet
 * settled and does nothing, except finishing a notification that failed after the packet became ready
 * (it is published again: at least once). A notification of another write to the upload key after the
 * packet was settled (its presigned PUT is valid for 15 minutes) changes nothing that is served; it is
 * noted on the packet.
 */
export async function acceptLandedPacket(
  ports: LandedPacketPorts,
  key: string,
  size: number,
  write: ObjectWrite = {},
): Promise<LandedOutcome> {
  const id = packetIdOfKey(key);
  let packet = id ? await ports.packets.get(id) : undefined;
  if (!packet || packet.objectKey !== key) return 'ignored';
  let outcome: LandedOutcome = 'ignored';
  // The write this notification stands for: the one the check read, once a check ran.
  let seen = write;
  if (packet.status === 'awaiting') {
    const result = await settle(ports, packet, size, write);
    if ('reason' in result) {
      if (await ports.packets.markFailed(packet.id, result.reason, result.refused)) {
        await packetFailed(ports, packet, result.reason);
        return 'failed';
      }
      seen = result.refused;
    } else {
      const won = await ports.packets.markReady(packet, new Date(ports.clock.now()).toISOString(), result);
      if (won) {
        outcome = 'ready';
        recordMetric('PacketsConverted');
      }
      seen = result.checkedWrite;
    }
    packet = (await ports.packets.get(packet.id)) ?? packet;
  }
  // Settled by another check (earlier, or a concurrent worker that won): is this another write?
  if (outcome === 'ignored' && packet.status !== 'awaiting' && isAnotherWrite(packet.checkedWrite, seen)) {
    await ports.packets.addNote(packet.id, laterWriteNote(packet, size, ports.clock.now()));
    outcome = 'overwritten';
  }
  if (packet.status === 'ready' && packet.direction === 'toDevice' && !packet.notified) {
    await ports.notices.packetReady({
      type: 'packet.ready',
      appArea: packet.appArea,
      mobileUser: packet.mobileUser,
      syncLogId: packet.id,
      packetUniqueId: packet.packetUniqueId,
      readyAt: packet.readyAt ?? new Date(ports.clock.now()).toISOString(),
    });
    await ports.packets.markNotified(packet.id);
  }
  return outcome;
}

type Settlement = SettledPacket | { reason: string; refused: ObjectWrite };

const sizeReason = (size: number, announced: number) =>
  `The upload has ${size} bytes; ${announced} were announced.`;

/**
 * Checks an awaiting packet and writes what its reader will download, under a key of this check's own
 * that no presigned PUT reaches: for the ERP, the very bytes checked (a file is copied inside S3, then
 * the copy is what is checked); for a device, the native form converted from the very bytes checked.
 * Returns what the packet serves and the write checked, or the reason it fails.
 */
async function settle(
  ports: LandedPacketPorts,
  packet: Packet,
  size: number,
  write: ObjectWrite,
): Promise<Settlement> {
  if (size !== packet.size) return { reason: sizeReason(size, packet.size), refused: write };
  const check = newId('chk', ports.clock.now());
  if (packet.packetType === 'file') {
    const checkedKey = checkedObjectKey(packet.appArea, packet.id, check);
    const checkedWrite = await ports.payloads.copy(packet.objectKey, checkedKey);
    const copied = await ports.payloads.head(checkedKey);
    if (copied.size !== packet.size)
      return { reason: sizeReason(copied.size, packet.size), refused: checkedWrite };
    return { checkedKey, checkedWrite };
  }
  const { body, write: checkedWrite } = await ports.payloads.read(packet.objectKey);
  if (body.length !== packet.size)
    return { reason: sizeReason(body.length, packet.size), refused: checkedWrite };
  const converted = convertPacket(body, packet.packetType);
  if (!converted.ok) return { reason: converted.reason, refused: checkedWrite };
  const { salesmancode } = converted.packet;
  if (salesmancode !== packet.mobileUser) {
    return {
      reason: `The packet's salesmancode is ${salesmancode}, but it was ${packet.direction === 'toDevice' ? 'pushed for' : 'uploaded by'} the mobile user ${packet.mobileUser}.`,
      refused: checkedWrite,
    };
  }
  if (packet.direction === 'toDevice') {
    const nativeKey = nativeObjectKey(packet.appArea, packet.id, check);
    await ports.payloads.put(nativeKey, Buffer.from(JSON.stringify(converted.packet)), 'application/json');
    return { nativeKey, checkedWrite };
  }
  const checkedKey = checkedObjectKey(packet.appArea, packet.id, check);
  await ports.payloads.put(
    checkedKey,
    body,
    packet.packetType === 'xml' ? 'application/xml' : 'application/json',
  );
  return { checkedKey, checkedWrite };
}

function laterWriteNote(packet: Packet, size: number, now: number): string {
  const what = `The upload key was written again after the packet was ${packet.status === 'failed' ? 'refused' : 'checked'} (${size} bytes, noticed ${new Date(now).toISOString()})`;
  return packet.status === 'failed'
    ? `${what}; that write was not checked and the packet stays failed: announce the packet again with a new packetUniqueId.`
    : `${what}; that write changed nothing: readers get the packet as it was checked.`;
}

/** A notification that kept failing: an awaiting packet is marked failed, so its sender sees why. */
export async function failDeadLetteredPacket(
  ports: Pick<LandedPacketPorts, 'packets' | 'events' | 'clock'>,
  key: string,
) {
  const id = packetIdOfKey(key);
  if (!id) return false;
  const reason = 'The packet could not be processed; the hub gave up after repeated errors.';
  if (!(await ports.packets.markFailed(id, reason))) return false;
  // The packet is marked: a read that fails now must not bring the notification back, so the event
  // then names only what the key says.
  const packet = await ports.packets.get(id).catch(() => undefined);
  const appArea = key.slice(packetPrefixes.upload.length).split('/')[0] ?? '';
  await packetFailed(ports, packet ?? { id, appArea }, reason);
  return true;
}

/**
 * Tells the operator a packet failed, once its record says so, and counts it (PacketsFailed). `tell`
 * never throws: a notice that cannot be kept or published must not bring the notification back for a
 * packet already settled.
 */
function packetFailed(
  ports: Pick<LandedPacketPorts, 'events' | 'clock'>,
  packet: Pick<Packet, 'id' | 'appArea'> & Partial<Pick<Packet, 'mobileUser' | 'direction' | 'packetType'>>,
  reason: string,
) {
  recordMetric('PacketsFailed');
  const what = packet.packetType
    ? ` (${packet.packetType}, ${packet.direction} for ${packet.mobileUser})`
    : '';
  return tell(ports.events, {
    type: 'packet.failed',
    at: ports.clock.now(),
    partner: packet.appArea,
    detail: capReason(`Packet ${packet.id}${what}: ${reason}`),
  });
}
