import * as z from 'zod/mini';
import type { DeliveryJob } from '../adapters/delivery-queue.js';

const JobSchema = z.object({
  messageId: z.string(),
  integrationId: z.string(),
  waitingSince: z.optional(z.number()),
});

/** Reads a delivery job from a queue message body; undefined when it is not one. */
export function parseJob(body: string): DeliveryJob | undefined {
  try {
    const r = JobSchema.safeParse(JSON.parse(body));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

const ReleaseSchema = z.object({ release: z.string() });

/** Reads a release job (enabling an integration: send its held deliveries); the integration's id. */
export function parseRelease(body: string): string | undefined {
  try {
    const r = ReleaseSchema.safeParse(JSON.parse(body));
    return r.success ? r.data.release : undefined;
  } catch {
    return undefined;
  }
}
