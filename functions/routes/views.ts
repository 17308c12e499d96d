import * as z from 'zod/mini';
import { DELIVERY_STATUSES } from '../core/delivery-state.js';

/** Answers several routes share: a message as accepted, and as its partners and the operator see it. */

export const AcceptedSchema = z.object({
  id: z.string(),
  status: z.literal('accepted'),
  sender: z.string(),
  receiver: z.string(),
  doctype: z.string(),
  version: z.string(),
  size: z.number(),
  sha256: z.string(),
  receivedAt: z.string(),
});

/** The entity row version a trigger sent (Contract v2, "Triggers"); absent for posted documents. */
export const MessageSourceSchema = z.object({ entity: z.string(), id: z.string(), version: z.number() });

/** A message as its partners and the operator see it: status derived from its deliveries. */
export const MessageViewSchema = z.extend(AcceptedSchema, {
  status: z.enum(['accepted', 'pending', 'delivered', 'failed']),
  contentType: z.string(),
  note: z.optional(z.string()),
  source: z.optional(MessageSourceSchema),
  deliveries: z.array(
    z.object({
      integrationId: z.string(),
      mode: z.enum(['push', 'notify', 'pull', 'apply']),
      status: z.enum(DELIVERY_STATUSES),
      attempts: z.array(
        z.object({
          n: z.number(),
          round: z.optional(z.number()),
          at: z.string(),
          statusCode: z.optional(z.number()),
          durationMs: z.number(),
          error: z.optional(z.string()),
        }),
      ),
      nextAttemptAt: z.optional(z.string()),
      error: z.optional(z.string()),
      response: z.optional(
        z.object({
          statusCode: z.number(),
          contentType: z.optional(z.string()),
          body: z.string(),
          truncated: z.boolean(),
          parsed: z.optional(z.unknown()),
        }),
      ),
    }),
  ),
});
