import { systemClock } from '../../core/clock.js';
import { DoneQuerySchema, deviceMailbox } from '../../core/packet.js';
import { packets } from '../../deps.js';
import { completePackets, pullPackets } from '../../usecases/packets.js';
import {
  authenticateDevice,
  doneItems,
  doneResponse,
  listingResponse,
  packetHandler,
  pullParameters,
} from '../erp/face.js';
import { parseValue } from '../validation.js';

/** The device face of seed 003 over packet records: one mobile user's packets, in the ERP face's shapes. */

const ports = () => ({ packets: packets(), clock: systemClock });

/** GET /device/{appArea}/{mobileUser}/packets: the user's ready ERP→device packets, each leased. */
export const list = packetHandler(async (req) => {
  const { appArea, mobileUser } = await authenticateDevice(req);
  const p = pullParameters(req);
  const listed = await pullPackets(ports(), deviceMailbox(appArea, mobileUser), p.limit, p.visibility);
  return listingResponse(listed, p.format);
});

/** POST /device/{appArea}/{mobileUser}/done: completes the user's leased packets. */
export const done = packetHandler(async (req) => {
  const { appArea, mobileUser } = await authenticateDevice(req);
  const { format } = parseValue(DoneQuerySchema, req.query);
  const items = doneItems(req, format);
  return doneResponse(await completePackets(ports(), [deviceMailbox(appArea, mobileUser)], items));
});
