import { systemClock } from '../../core/clock.js';
import { packets, packetUrls, registry } from '../../deps.js';
import * as route from '../../routes/erp/urls.js';
import { edge } from '../edge.js';
import { refusalRecorder } from '../refusals.js';
import { announced, linkAnswer } from './presigned.js';

/**
 * The ERP routes that answer presigned URLs (seed 003); they alone carry the S3 presigner. Every route
 * also answers under /mobile/erp/... (see functions/routes.ts).
 */

const ports = () => ({
  keys: registry(),
  refusals: refusalRecorder(),
  packets: packets(),
  urls: packetUrls(),
  clock: systemClock,
});

/** GET /erp/push/{appArea}/{mobileUser}: a syncLogId and a presigned PUT for a packet for a mobile user. */
export const push = edge(route.push, ports, ({ params, query, caller }, p) =>
  announced(p, { ...caller, mobileUser: params.mobileUser, direction: 'toDevice' }, query),
);

/** GET /erp/pull/{appArea}/link?path=: a 15-minute download URL, as text/plain. */
export const link = edge(route.link, ports, ({ query, caller }, p) => linkAnswer(p, caller, query.path));
