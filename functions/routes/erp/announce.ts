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
