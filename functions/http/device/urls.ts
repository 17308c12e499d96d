import { systemClock } from '../../core/clock.js';
import { packets, packetUrls, registry } from '../../deps.js';
import * as route from '../../routes/device/urls.js';
import { announcePacket, packetLink } from '../../usecases/packets.js';
import { edge } from '../edge.js';

/** The device routes that answer presigned URLs; they alone carry the S3 presigner. */

const ports = () => ({ keys: registry(), packets: packets(), urls: packetUrls(), clock: systemClock });

/** GET /device/{appArea}/{mobileUser}/upload: a syncLogId and a presigned PUT for a packet or file for the ERP. */
export const upload = edge(route.deviceUpload, ports, async ({ query, caller }, p) => ({
  status: 200,
  json: {
    success: true,
    ...(await announcePacket(p, {
      ...caller,
      direction: 'toErp',
      packetUniqueId: query.packetUniqueId,
      size: query.size,
      packetType: query.packetType,
    })),
  },
}));

/** GET /device/{appArea}/{mobileUser}/link?path=: a 15-minute download URL for one of the user's packets. */
export const link = edge(route.deviceLink, ports, async ({ query, caller }, p) => ({
  status: 200,
  raw: { body: await packetLink(p, caller, query.path), contentType: 'text/plain; charset=utf-8' },
}));
