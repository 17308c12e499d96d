import * as z from 'zod/mini';
import { DEFAULT_VISIBILITY_SECONDS, MAX_LEASE_BATCH, MAX_VISIBILITY_SECONDS } from '../../core/lease.js';
import { wholeNumberString } from '../../core/numbers.js';
import { DoneResultSchema, inRange } from '../schemas.js';
import { PacketTypeSchema } from './shared.js';

/** Pull listings and done calls, as the ERP and device faces share them. */

/** A lease's size and length: digits only, 1–100 packets (all by default), 1–43200 s (900 by default). */
export const leaseQuery = {
  limit: z.pipe(
    z.optional(wholeNumberString(`must be a whole number from 1 to ${MAX_LEASE_BATCH}`)),
    inRange(
      1,
      MAX_LEASE_BATCH,
      `limit must be a whole number from 1 to ${MAX_LEASE_BATCH}.`,
      MAX_LEASE_BATCH,
    ),
  ),
  visibilityTimeout: z.pipe(
    z.optional(z.string()),
    inRange(
      1,
      MAX_VISIBILITY_SECONDS,
      `visibilityTimeout must be a whole number of seconds from 1 to ${MAX_VISIBILITY_SECONDS}.`,
      DEFAULT_VISIBILITY_SECONDS,
      true,
    ),
  ),
};
export const ListingSchema = z.object({
  success: z.literal(true),
  packets: z.array(
    z.object({
      id: z.string(),
      receiptHandle: z.string(),
      url: z.string(),
      mobileUser: z.string(),
      packetUniqueId: z.string(),
      packetType: PacketTypeSchema,
      size: z.number(),
      createdAt: z.string(),
    }),
  ),
});
export const XML_LISTING = {
  contentType: 'application/xml',
  description: '<packets><packet>…</packet></packets> (format=xml)',
};
export const DONE = { description: 'the others are done either way', schema: DoneResultSchema };

/** A pull's answer: the leased packets, in JSON or XML. */
export const LISTED = { description: 'the leased packets', schema: ListingSchema, alternative: XML_LISTING };
