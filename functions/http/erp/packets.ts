import { systemClock } from '../../core/clock.js';
import { erpMailbox, erpMailboxes } from '../../core/packet.js';
import { packets, registry } from '../../deps.js';
import * as route from '../../routes/erp/packets.js';
import { completePackets, packetOfArea, pullPackets } from '../../usecases/packets.js';
import { edge } from '../edge.js';
import { refusalRecorder } from '../refusals.js';
import { doneResult } from '../responses.js';
import { doneItems, listingResponse, statusView } from './face.js';

/**
 * The ERP routes over packet records (seed 003): status, pull and done. Every route also answers under
 * /mobile/erp/... (see functions/routes.ts).
 */

const ports = () => ({
  keys: registry(),
  refusals: refusalRecorder(),
  packets: packets(),
  clock: systemClock,
});

/** GET /erp/status/{appArea}/{syncLogId}: where a packet of the area stands, and why it failed. */
export const status = edge(route.status, ports, async ({ params, caller }, p) =>
  statusView(await packetOfArea(p, caller.appArea, params.syncLogId)),
);

/** GET /erp/pull/{appArea}: the area's ready device→ERP packets (or files), each leased. */
export const pull = edge(route.pull, ports, async ({ query, caller }, p) => {
  const mailbox = erpMailbox(caller.appArea, query.packetType ?? 'packet');
  return listingResponse(await pullPackets(p, mailbox, query.limit, query.visibilityTimeout), query.format);
});

/** POST /erp/pull/{appArea}/done?format=json|xml: completes leased packets. */
export const done = edge(
  route.done,
  ports,
  async ({ body, caller }, p) => doneResult(await completePackets(p, erpMailboxes(caller.appArea), body)),
  { readBody: doneItems },
);
