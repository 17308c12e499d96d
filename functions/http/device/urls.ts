import { systemClock } from '../../core/clock.js';
import { DeviceUploadQuerySchema, LinkQuerySchema } from '../../core/packet.js';
import { packets, packetUrls } from '../../deps.js';
import { announcePacket, packetLink } from '../../usecases/packets.js';
import { authenticateDevice, packetHandler } from '../erp/face.js';
import { parseValue } from '../validation.js';

/** The device routes that answer presigned URLs; they alone carry the S3 presigner. */

const ports = () => ({ packets: packets(), urls: packetUrls(), clock: systemClock });

/** GET /device/{appArea}/{mobileUser}/upload: a syncLogId and a presigned PUT for a packet or file for the ERP. */
export const upload = packetHandler(async (req) => {
  const { appArea, mobileUser } = await authenticateDevice(req);
  const q = parseValue(DeviceUploadQuerySchema, req.query);
  const announced = await announcePacket(ports(), {
    appArea,
    mobileUser,
    direction: 'toErp',
    packetUniqueId: q.packetUniqueId,
    size: Number(q.size),
    packetType: q.packetType,
  });
  return { status: 200, json: { success: true, ...announced } };
});

/** GET /device/{appArea}/{mobileUser}/link?path=: a 15-minute download URL for one of the user's packets. */
export const link = packetHandler(async (req) => {
  const reader = await authenticateDevice(req);
  const { path } = parseValue(LinkQuerySchema, req.query);
  const url = await packetLink(ports(), reader, path);
  return { status: 200, raw: { body: url, contentType: 'text/plain; charset=utf-8' } };
});
