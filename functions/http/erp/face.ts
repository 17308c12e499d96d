import { badRequest } from '../../core/errors.js';
import { DoneBodySchema } from '../../core/lease.js';
import type { Packet } from '../../core/packet.js';
import { doneItemsFromXml, packetsToXml } from '../../core/packet-format.js';
import type { PacketListing } from '../../usecases/packets.js';
import { answer } from '../edge.js';
import type { HubRequest, HubResponse } from '../middleware.js';
import { parseJsonBody } from '../validation.js';

/**
 * What the ERP face (seed 003) and the device face share at the edge: pull listings in JSON or XML,
 * done bodies in JSON or XML, and a packet's status. Their error shape and key checks are the
 * face's (functions/http/faces/packets.ts).
 */

/** JSON `{"success":true,"packets":[…]}`, or XML `<packets><packet><id/>…</packet></packets>`. */
export function listingResponse(packets: PacketListing[], format: 'xml' | 'json' | undefined): HubResponse {
  if (format === 'xml') {
    return answer({
      status: 200,
      raw: { body: packetsToXml(packets), contentType: 'application/xml; charset=utf-8' },
    });
  }
  return answer({ status: 200, json: { success: true, packets } });
}

/**
 * The items of a done call, from a JSON or an XML body: `format` says which, else the Content-Type does.
 * A malformed body is 400 and completes nothing.
 */
export function doneItems(req: HubRequest, { query }: { query: { format?: 'xml' | 'json' | undefined } }) {
  const xml = query.format ? query.format === 'xml' : /xml/i.test(req.headers['content-type'] ?? '');
  if (!xml) return parseJsonBody(DoneBodySchema, req, { anyContentType: true });
  if (req.body.length === 0) throw badRequest('empty_body', 'The request needs an XML body.');
  const parsed = doneItemsFromXml(req.body.toString('utf8'));
  if (!parsed.ok) throw badRequest('invalid_xml', `The XML body is refused: ${parsed.reason}`);
  return parsed.items;
}

/** GET /erp/status: where a packet stands, and why it failed. */
export const statusView = (p: Packet) => ({
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
});
