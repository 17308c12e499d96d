import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Small documents live in the DynamoDB item instead of S3: an S3 PUT costs $5 per million, a write
 * unit $0.625 per million per KB. Deflated, a typical 2 KB JSON or XML document fits in one or two
 * units; anything that stays over the limit after compression goes to S3.
 */
export const INLINE_MAX_STORED_BYTES = 4096;

export interface InlinePayload {
  bytes: Uint8Array;
  deflated: boolean;
}

/** The inline form of a document, or undefined when it belongs in S3. */
export function encodeInline(body: Uint8Array): InlinePayload | undefined {
  if (body.length <= 256) return { bytes: new Uint8Array(body), deflated: false };
  // A document far over the limit would need better than 16:1 compression to fit; skip the work.
  if (body.length > INLINE_MAX_STORED_BYTES * 16) return undefined;
  const deflated = deflateRawSync(body, { level: 6 });
  if (deflated.length < body.length && deflated.length <= INLINE_MAX_STORED_BYTES)
    return { bytes: deflated, deflated: true };
  return body.length <= INLINE_MAX_STORED_BYTES
    ? { bytes: new Uint8Array(body), deflated: false }
    : undefined;
}

export function decodeInline(p: InlinePayload): Uint8Array {
  return p.deflated ? inflateRawSync(p.bytes) : p.bytes;
}
