import { systemClock } from '../../core/clock.js';
import { packets, packetUrls, registry } from '../../deps.js';
import * as route from '../../routes/device/urls.js';
import { edge } from '../edge.js';
import { announced, linkAnswer } from '../erp/presigned.js';
import { refusalRecorder } from '../refusals.js';

/** The device routes that answer presigned URLs; they alone carry the S3 presigner. */

const ports = () => ({
  keys: registry(),
  refusals: refusalRecorder(),
  packets: packets(),
  urls: packetUrls(),
  clock: systemClock,
});

/** GET /device/{appArea}/{mobileUser}/upload: a syncLogId and a presigned PUT for a packet or file for the ERP. */
export const upload = edge(route.deviceUpload, ports, ({ query, caller }, p) =>
  announced(p, { ...caller, direction: 'toErp' }, query),
);

/** GET /device/{appArea}/{mobileUser}/link?path=: a 15-minute download URL for one of the user's packets. */
export const link = edge(route.deviceLink, ports, ({ query, caller }, p) =>
  linkAnswer(p, caller, query.path),
);
