import { badRequest, forbidden } from '../../core/errors.js';
import { DoneBodySchema, MAX_LEASE_BATCH, visibilitySeconds } from '../../core/lease.js';
import { MobileUserSchema, PullQuerySchema, pullLimit } from '../../core/packet.js';
import { doneItemsFromXml, packetsToXml } from '../../core/packet-format.js';
import type { PacketListing } from '../../usecases/packets.js';
import { authenticateKey } from '../auth.js';
import { type ErrorBody, type HubRequest, type HubResponse, httpHandler } from '../middleware.js';
import { parseJsonBody, parseValue } from '../validation.js';

/**
 * What the ERP face (seed 003) and the device face share: their error shape, their key checks, pull
 * listings in JSON or XML, and done bodies in JSON or XML.
 */

/** Seed 003's shape: `{"success":false,"error":{"code","message"}}`. */
export const packetErrorBody: ErrorBody = (_status, code, message) => ({
  success: false,
  error: { code, message },
});

/** A done call carries at most MAX_LEASE_BATCH items of an id and a handle: 64 KiB is ample. */
const MAX_PACKET_ROUTE_BODY = 64 * 1024;

export const packetHandler = (fn: (req: HubRequest) => Promise<HubResponse>) =>
  httpHandler(fn, {
    errorBody: packetErrorBody,
    maxBodyBytes: MAX_PACKET_ROUTE_BODY,
    bodyTooLargeHint: `A done call takes at most ${MAX_LEASE_BATCH} items.`,
  });

/** Keys travel in `x-api-key` only: the seed names no other place, and query strings end up in logs. */
const apiKey = (req: HubRequest) => req.headers['x-api-key'] || undefined;

/** An ERP's call: a key with the erp scope, of the partner whose code is the path's appArea (else 403). */
export async function authenticateErp(req: HubRequest): Promise<string> {
  const key = await authenticateKey(apiKey(req), 'erp');
  const appArea = req.pathParameters.appArea ?? '';
  if (key.partnerCode !== appArea) throw forbidden(`The API key is not a key of the app area ${appArea}.`);
  return appArea;
}

/**
 * A device's call: a key with the device scope of the path's appArea; a key bound to a mobile user
 * serves only that user (403 for any other).
 */
export async function authenticateDevice(req: HubRequest): Promise<{ appArea: string; mobileUser: string }> {
  const key = await authenticateKey(apiKey(req), 'device');
  const appArea = req.pathParameters.appArea ?? '';
  if (key.partnerCode !== appArea) throw forbidden(`The API key is not a key of the app area ${appArea}.`);
  const mobileUser = mobileUserOf(req);
  if (key.mobileUser !== undefined && key.mobileUser !== mobileUser) {
    throw forbidden('The API key is bound to another mobile user.');
  }
  return { appArea, mobileUser };
}

export function mobileUserOf(req: HubRequest): string {
  const r = MobileUserSchema.safeParse(req.pathParameters.mobileUser ?? '');
  if (!r.success)
    throw badRequest('invalid_parameter', `mobileUser ${r.error.issues[0]?.message ?? 'is invalid'}.`);
  return r.data;
}

/** A pull's parameters: kind (packet|file), listing format, limit and lease length. */
export function pullParameters(req: HubRequest) {
  const q = parseValue(PullQuerySchema, req.query);
  const limit = pullLimit(q.limit);
  if (limit === undefined) {
    throw badRequest('invalid_parameter', `limit must be a whole number from 1 to ${MAX_LEASE_BATCH}.`);
  }
  const visibility = visibilitySeconds(q.visibilityTimeout);
  if (visibility === undefined) {
    throw badRequest(
      'invalid_parameter',
      'visibilityTimeout must be a whole number of seconds from 1 to 43200.',
    );
  }
  return { kind: q.packetType ?? 'packet', format: q.format ?? 'json', limit, visibility };
}

/** JSON `{"success":true,"packets":[…]}`, or XML `<packets><packet><id/>…</packet></packets>`. */
export function listingResponse(packets: PacketListing[], format: 'xml' | 'json'): HubResponse {
  if (format === 'xml') {
    return {
      status: 200,
      raw: {
        body: packetsToXml(packets),
        contentType: 'application/xml; charset=utf-8',
      },
    };
  }
  return { status: 200, json: { success: true, packets } };
}

/**
 * The items of a done call, from a JSON or an XML body: `format` says which, else the Content-Type does.
 * A malformed body is 400 and completes nothing.
 */
export function doneItems(req: HubRequest, format: 'xml' | 'json' | undefined) {
  const xml = format ? format === 'xml' : /xml/i.test(req.headers['content-type'] ?? '');
  if (!xml) return parseJsonBody(DoneBodySchema, req, { anyContentType: true });
  if (req.body.length === 0) throw badRequest('empty_body', 'The request needs an XML body.');
  const parsed = doneItemsFromXml(req.body.toString('utf8'));
  if (!parsed.ok) throw badRequest('invalid_xml', `The XML body is refused: ${parsed.reason}`);
  return parsed.items;
}

/** `{"success":true}`, or the items that were not completed beside `success: false`. */
export const doneResponse = (failed: { id: string; error: string }[]): HubResponse => ({
  status: 200,
  json: failed.length ? { success: false, failed } : { success: true },
});
