import * as z from 'zod/mini';
import { type ObjectWrite, objectWrite } from '../core/object-write.js';

/** The parts of an S3 event notification the upload workers read (S3's test event has no Records). */
const S3EventSchema = z.object({
  Records: z.optional(
    z.array(
      z.object({
        s3: z.object({
          object: z.object({
            key: z.string(),
            size: z.number(),
            eTag: z.optional(z.string()),
            versionId: z.optional(z.string()),
          }),
        }),
      }),
    ),
  ),
});

/** An object an ObjectCreated notification announces, and which write of it created it. */
export interface CreatedObject {
  key: string;
  size: number;
  write: ObjectWrite;
}

/** S3 URL-encodes keys in notifications, with `+` for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** The objects an SQS record's S3 ObjectCreated notification announces (none for anything else). */
export function objectsOf(body: string): CreatedObject[] {
  try {
    const parsed = S3EventSchema.safeParse(JSON.parse(body));
    return parsed.success
      ? (parsed.data.Records ?? []).map(({ s3: { object: o } }) => ({
          key: decodeKey(o.key),
          size: o.size,
          write: objectWrite(o.eTag, o.versionId),
        }))
      : [];
  } catch {
    return [];
  }
}
