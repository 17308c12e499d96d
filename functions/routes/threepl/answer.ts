import * as z from 'zod/mini';

/** Every 3PL answer carries these (seed 002): the HTTP status again, and a sentence. */
export const Answer = { ResponseCode: z.literal(200), ResponseMessage: z.string() };
