import * as z from 'zod/mini';
import { MobileUserSchema, PACKET_URL_SECONDS } from '../../core/packet.js';

/** What the ERP and device routes (seed 003) share in their declarations. */

export const URL_MINUTES = PACKET_URL_SECONDS / 60;

export const AreaParams = z.object({ appArea: z.string() });
export const UserParams = z.object({ appArea: z.string(), mobileUser: MobileUserSchema });
export const PacketTypeSchema = z.enum(['xml', 'json', 'file']);
export const LINK = { description: 'the URL', contentType: 'text/plain' };
