import type { PacketReader } from '../../core/packet.js';
import { type Announcement, announcePacket, packetLink, type SigningPorts } from '../../usecases/packets.js';
import { answer } from '../edge.js';

/** What the ERP and device routes that answer presigned URLs share (seed 003). */

type Announced = Pick<Announcement, 'packetUniqueId' | 'size' | 'packetType'>;

/** `{"success":true,"syncLogId","uploadPath","expiresAt"}` for a packet announced by `who`. */
export async function announced(
  ports: SigningPorts,
  who: Pick<Announcement, 'appArea' | 'mobileUser' | 'direction'>,
  q: Announced,
) {
  const a = await announcePacket(ports, {
    ...who,
    packetUniqueId: q.packetUniqueId,
    size: q.size,
    packetType: q.packetType,
  });
  return { success: true, ...a };
}

/** A 15-minute download URL for a path the reader's pull listed, as text/plain. */
export const linkAnswer = async (ports: SigningPorts, reader: PacketReader, path: string) =>
  answer({
    status: 200,
    raw: { body: await packetLink(ports, reader, path), contentType: 'text/plain; charset=utf-8' },
  });
