import type { PacketNotices } from '../adapters/notifications.js';
import type { PacketRepository } from '../adapters/packets.js';
import type { PayloadStore } from '../adapters/payloads.js';
import type { Clock } from '../core/clock.js';
import { nativeObjectKey, type Packet, packetIdOfKey } from '../core/packet.js';
import { convertPacket } from '../core/packet-format.js';
import { capReason } from '../core/reason.js';

export interface LandedPacketPorts {
  packets: PacketRepository;
  payloads: PayloadStore;
  notices: PacketNotices;
  clock: Clock;
}

export type LandedOutcome = 'ready' | 'failed' | 'ignored';

/**
 * A packet's bytes landed under packets/: check the size, read and convert the packet, store the native
 * form, mark the packet ready in its reader's mailbox, and tell the device's push service. Idempotent:
 * a repeated notification finds the packet settled and does nothing, except finishing a notification
 * that failed after the packet became ready (it is published again: at least once).
 */
export async function acceptLandedPacket(
  ports: LandedPacketPorts,
  key: string,
  size: number,
): Promise<LandedOutcome> {
  const id = packetIdOfKey(key);
  let packet = id ? await ports.packets.get(id) : undefined;
  if (!packet || packet.objectKey !== key) return 'ignored';
  let outcome: LandedOutcome = 'ignored';
  if (packet.status === 'awaiting') {
    const reason = await settle(ports, packet, size);
    if (reason !== undefined) {
      return (await ports.packets.markFailed(packet.id, capReason(reason))) ? 'failed' : 'ignored';
    }
    packet = (await ports.packets.get(packet.id)) ?? packet;
    outcome = packet.status === 'ready' ? 'ready' : 'ignored';
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

/**
 * Checks an awaiting packet and, when it passes, makes it ready (with its native form for a device).
 * Returns the reason it fails, or undefined.
 */
async function settle(ports: LandedPacketPorts, packet: Packet, size: number): Promise<string | undefined> {
  if (size !== packet.size) return `The upload has ${size} bytes; ${packet.size} were announced.`;
  let nativeKey: string | undefined;
  if (packet.packetType !== 'file') {
    const converted = convertPacket(await ports.payloads.get(packet.objectKey), packet.packetType);
    if (!converted.ok) return converted.reason;
    const { salesmancode } = converted.packet;
    if (salesmancode !== packet.mobileUser) {
      return `The packet's salesmancode is ${salesmancode}, but it was ${packet.direction === 'toDevice' ? 'pushed for' : 'uploaded by'} the mobile user ${packet.mobileUser}.`;
    }
    if (packet.direction === 'toDevice') {
      nativeKey = nativeObjectKey(packet.appArea, packet.id);
      await ports.payloads.put(nativeKey, Buffer.from(JSON.stringify(converted.packet)), 'application/json');
    }
  }
  // False only when a concurrent worker settled it first; either way it is no longer awaiting.
  await ports.packets.markReady(packet, new Date(ports.clock.now()).toISOString(), nativeKey);
  return undefined;
}

/** A notification that kept failing: an awaiting packet is marked failed, so its sender sees why. */
export async function failDeadLetteredPacket(ports: Pick<LandedPacketPorts, 'packets'>, key: string) {
  const id = packetIdOfKey(key);
  if (!id) return false;
  return ports.packets.markFailed(
    id,
    'The packet could not be processed; the hub gave up after repeated errors.',
  );
}
