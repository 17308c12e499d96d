import * as z from 'zod/mini';
import { wholeNumberString } from '../../core/numbers.js';

/** Announcing a packet, as ERP push and device upload share it. */

/** The announced size, as the number it spells (announcePacket checks its range for the packet type). */
export const size = z.pipe(
  wholeNumberString('must be the packet’s size in bytes', 'is required: the packet’s size in bytes'),
  z.transform(Number),
);

export const AnnouncedSchema = z.object({
  success: z.literal(true),
  syncLogId: z.string(),
  uploadPath: z.string(),
  expiresAt: z.string(),
});

/** What an announcement answers, ERP push or device upload. */
export const ANNOUNCE_ANSWERS = {
  200: { description: 'the packet’s id and its upload URL', schema: AnnouncedSchema },
  400: 'missing or invalid packetUniqueId, size or packetType',
  409: 'packetUniqueId uploaded already, or announced for another packet',
};
