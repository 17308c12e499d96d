import * as z from 'zod/mini';

/** The routing parameters of seed 000, from the query or (POST /v1/messages) the form's fields. */
export const Envelope = {
  sender: z.optional(z.string()),
  receiver: z.optional(z.string()),
  apikey: z.optional(z.string()),
  doctype: z.optional(z.string()),
  version: z.optional(z.string()),
};
