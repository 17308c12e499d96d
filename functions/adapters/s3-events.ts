import * as z from 'zod/mini';

/** The parts of an S3 event notification the upload workers read (S3's test event has no Records). */
const S3EventSchema = z.object({
  Records: z.optional(
    z.array(z.object({ s3: z.object({ object: z.object({ key: z.string(), size: z.number() }) }) })),
  ),
});

/** S3 URL-encodes keys in notifications, with `+` for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** The objects an SQS record's S3 ObjectCreated notification announces (none for anything else). */
export function objectsOf(body: string): { key: string; size: number }[] {
  try {
    const parsed = S3EventSchema.safeParse(JSON.parse(body));
    return parsed.success
      ? (parsed.data.Records ?? []).map((r) => ({ key: decodeKey(r.s3.object.key), size: r.s3.object.size }))
      : [];
  } catch {
    return [];
  }
}
