import { systemClock } from '../../core/clock.js';
import { packets, packetUrls, registry } from '../../deps.js';
import * as route from '../../routes/erp/urls.js';
import { announcePacket, packetLink } from '../../usecases/packets.js';
import { edge } from '../edge.js';

/**
 * The ERP routes that answer presigned URLs (seed 003); they alone carry the S3 presigner. Every route
 * also answers under /mobile/erp/... (see functions/routes.ts).
 */

const ports = () => ({ keys: registry(), packets: packets(), urls: packetUrls(), clock: systemClock });

/** GET /erp/push/{appArea}/{mobileUser}: a syncLogId and a presigned PUT for the packet. */
export const push = edge(route.push, ports, async ({ params, query, caller }, p) => ({
  status: 200,
  json: {
    success: true,
    ...(await announcePacket(p, {
      appArea: caller.appArea,
      mobileUser: params.mobileUser,
      direction: 'toDevice',
      packetUniqueId: query.packetUniqueId,
      size: query.size,
      packetType: query.packetType,
    })),
  },
}));

/** GET /erp/pull/{appArea}/link?path=: a 15-minute download URL, as text/plain. */
export const link = edge(route.link, ports, async ({ query, caller }, p) => ({
  status: 200,
  raw: { body: await packetLink(p, caller, query.path), contentType: 'text/plain; charset=utf-8' },
}));
