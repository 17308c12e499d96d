import { systemClock } from '../../core/clock.js';
import { deviceMailbox } from '../../core/packet.js';
import { packets, registry } from '../../deps.js';
import * as route from '../../routes/device/packets.js';
import { completePackets, pullPackets } from '../../usecases/packets.js';
import { edge } from '../edge.js';
import { doneItems, listingResponse } from '../erp/face.js';
import { refusalRecorder } from '../refusals.js';
import { doneResult } from '../responses.js';

/** The device face of seed 003 over packet records: one mobile user's packets, in the ERP face's shapes. */

const ports = () => ({
  keys: registry(),
  refusals: refusalRecorder(),
  packets: packets(),
  clock: systemClock,
});

/** GET /device/{appArea}/{mobileUser}/packets: the user's ready ERP→device packets, each leased. */
export const list = edge(route.deviceList, ports, async ({ query, caller }, p) => {
  const mailbox = deviceMailbox(caller.appArea, caller.mobileUser);
  return listingResponse(await pullPackets(p, mailbox, query.limit, query.visibilityTimeout), query.format);
});

/** POST /device/{appArea}/{mobileUser}/done: completes the user's leased packets. */
export const done = edge(
  route.deviceDone,
  ports,
  async ({ body, caller }, p) =>
    doneResult(await completePackets(p, [deviceMailbox(caller.appArea, caller.mobileUser)], body)),
  { readBody: doneItems },
);
