import * as z from 'zod/mini';
import { wholeNumber } from '../core/numbers.js';
import { AS_IS } from '../core/parse.js';

/**
 * Schema pieces the route declarations share: query parameters that are numbers or media types, and
 * answers several faces give. A parameter's own message is answered as it is (400
 * `invalid_parameter`); any other problem as `<field>: <problem>.` (400 `invalid_field`).
 */

/**
 * A query parameter that must spell a whole number from min to max (digits only), read as that
 * number; absent (or empty, with `emptyIsAbsent`) it is `fallback`, or refused when there is none.
 */
// @__NO_SIDE_EFFECTS__
export function inRange(min: number, max: number, message: string, fallback?: number, emptyIsAbsent = false) {
  return z.transform((raw: string | undefined, ctx) => {
    if (fallback !== undefined && (raw === undefined || (emptyIsAbsent && raw === ''))) return fallback;
    const n = wholeNumber(raw, min, max);
    if (n === undefined) {
      ctx.issues.push({ code: 'custom', message, input: raw, params: AS_IS });
      return z.NEVER;
    }
    return n;
  });
}

// @__NO_SIDE_EFFECTS__
export function wholeNumberParam(
  min: number,
  max: number,
  message: string,
  fallback?: number,
  emptyIsAbsent = false,
) {
  return z.pipe(z.optional(z.string()), inRange(min, max, message, fallback, emptyIsAbsent));
}

/**
 * An instant of the operator's filters (the message log, events): an ISO 8601 timestamp, read as the
 * hub writes times (UTC, ms).
 */
// @__NO_SIDE_EFFECTS__
export function instant(name: string) {
  return z.optional(requiredInstant(name));
}

/** An instant that must be given (a body's field). */
// @__NO_SIDE_EFFECTS__
export function requiredInstant(name: string) {
  return z.pipe(
    z.string(),
    z.transform((raw: string, ctx) => {
      const t = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(raw) ? Date.parse(raw) : Number.NaN;
      if (Number.isNaN(t)) {
        ctx.issues.push({ code: 'custom', message: `${name} must be an ISO 8601 timestamp.`, input: raw });
        return z.NEVER;
      }
      return new Date(t).toISOString();
    }),
  );
}

/** A media type such as `application/xml` (at most 255 characters); absent or empty, octet-stream. */
// @__NO_SIDE_EFFECTS__
export function mediaTypeParam(message: string) {
  return z.pipe(
    z.optional(z.string()),
    z.transform((raw: string | undefined, ctx) => {
      const type = raw || 'application/octet-stream';
      if (!/^[\w.+-]+\/[\w.+-]+(;.*)?$/.test(type) || type.length > 255) {
        ctx.issues.push({ code: 'custom', message, input: raw, params: AS_IS });
        return z.NEVER;
      }
      return type;
    }),
  );
}

/** What a done call (inbox, ERP and device packets) answers. */
export const DoneResultSchema = z.union([
  z.object({ success: z.literal(true) }),
  z.object({
    success: z.literal(false),
    failed: z.array(z.object({ id: z.string(), error: z.string() })),
  }),
]);
