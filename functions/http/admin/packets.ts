import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { communications, messages, packets } from '../../deps.js';
import * as route from '../../routes/admin/packets.js';
import { packetsOfArea } from '../../usecases/packets.js';
import { communicationForOperator } from '../../usecases/replication.js';
import { byRouteKey, edge } from '../edge.js';

/** The operator's views of sync traffic: an app area's packets, and a 3PL post's communication. */
export const syncViews = byRouteKey([
  [
    route.listPackets,
    edge(
      route.listPackets,
      () => ({ adminKey: adminKey(), packets: packets() }),
      ({ params, query }, p) => packetsOfArea(p, params.appArea, query),
    ),
  ],
  [
    route.getCommunicationAsAdmin,
    edge(
      route.getCommunicationAsAdmin,
      () => ({
        adminKey: adminKey(),
        communications: communications(),
        messages: messages(),
        clock: systemClock,
      }),
      ({ params }, p) => communicationForOperator(p, params.CommunicationID),
    ),
  ],
]);
