import { systemClock } from '../../core/clock.js';
import { LinkQuerySchema, PushQuerySchema } from '../../core/packet.js';
import { packets, packetUrls } from '../../deps.js';
import { announcePacket, packetLink } from '../../usecases/packets.js';
import { parseValue } from '../validation.js';
import { authenticateErp, mobileUserOf, packetHandler } from './face.js';

/**
 * The ERP routes that answer presigned URLs (seed 003); they alone carry the S3 presigner. Every route
 * also answers under /mobile/erp/... (see functions/routes/erp.ts).
 */

const ports = () => ({ packets: packets(), urls: packetUrls(), clock: systemClock });

/** GET /erp/push/{appArea}/{mobileUser}: a syncLogId and a presigned PUT for the packet. */
export const push = packetHandler(async (req) => {
  const appArea = await authenticateErp(req);
  const mobileUser = mobileUserOf(req);
  const q = parseValue(PushQuerySchema, req.query);
  const announced = await announcePacket(ports(), {
    appArea,
    mobileUser,
    direction: 'toDevice',
    packetUniqueId: q.packetUniqueId,
    size: Number(q.size),
    packetType: q.packetType,
  });
  return { status: 200, json: { success: true, ...announced } };
});

/** GET /erp/pull/{appArea}/link?path=: a 15-minute download URL, as text/plain. */
export const link = packetHandler(async (req) => {
  const appArea = await authenticateErp(req);
  const { path } = parseValue(LinkQuerySchema, req.query);
  const url = await packetLink(ports(), { appArea }, path);
  return { status: 200, raw: { body: url, contentType: 'text/plain; charset=utf-8' } };
});
