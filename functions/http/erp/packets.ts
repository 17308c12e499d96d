import { systemClock } from '../../core/clock.js';
import { DoneQuerySchema, erpMailbox, erpMailboxes } from '../../core/packet.js';
import { packets } from '../../deps.js';
import { completePackets, packetOfArea, pullPackets } from '../../usecases/packets.js';
import { parseValue } from '../validation.js';
import {
  authenticateErp,
  doneItems,
  doneResponse,
  listingResponse,
  packetHandler,
  pullParameters,
} from './face.js';

/**
 * The ERP routes over packet records (seed 003): status, pull and done. Every route also answers under
 * /mobile/erp/... (see functions/routes/erp.ts).
 */

const ports = () => ({ packets: packets(), clock: systemClock });

/** GET /erp/status/{appArea}/{syncLogId}: where a packet of the area stands, and why it failed. */
export const status = packetHandler(async (req) => {
  const appArea = await authenticateErp(req);
  const p = await packetOfArea(ports(), appArea, req.pathParameters.syncLogId ?? '');
  return {
    status: 200,
    json: {
      success: true,
      syncLogId: p.id,
      status: p.status,
      ...(p.error ? { error: p.error } : {}),
      ...(p.note ? { note: p.note } : {}),
      direction: p.direction,
      mobileUser: p.mobileUser,
      packetUniqueId: p.packetUniqueId,
      packetType: p.packetType,
      size: p.size,
      createdAt: p.createdAt,
    },
  };
});

/** GET /erp/pull/{appArea}: the area's ready device→ERP packets (or files), each leased. */
export const pull = packetHandler(async (req) => {
  const appArea = await authenticateErp(req);
  const p = pullParameters(req);
  const listed = await pullPackets(ports(), erpMailbox(appArea, p.kind), p.limit, p.visibility);
  return listingResponse(listed, p.format);
});

/** POST /erp/pull/{appArea}/done?format=json|xml: completes leased packets. */
export const done = packetHandler(async (req) => {
  const appArea = await authenticateErp(req);
  const { format } = parseValue(DoneQuerySchema, req.query);
  const items = doneItems(req, format);
  return doneResponse(await completePackets(ports(), erpMailboxes(appArea), items));
});
