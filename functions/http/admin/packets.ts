import { adminKey } from '../../adapters/admin-key.js';
import { packets } from '../../deps.js';
import * as route from '../../routes/admin/packets.js';
import { packetsOfArea } from '../../usecases/packets.js';
import { edge } from '../edge.js';

/** The operator's listing of an app area's sync packets. */
export const listPackets = edge(
  route.listPackets,
  () => ({ adminKey: adminKey(), packets: packets() }),
  ({ params, query }, p) => packetsOfArea(p, params.appArea, query),
);
