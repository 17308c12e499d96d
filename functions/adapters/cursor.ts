import type * as z from 'zod/mini';
import { badRequest } from '../core/errors.js';

/**
 * The cursors of the operator's listings (the message log, operational events): base64url JSON of a
 * listing's position, read back through the listing's own schema. A cursor that does not parse, or
 * parses as another listing's, is refused with 400 `invalid_cursor`; each listing then checks that the
 * position is one of its own query's (another partner, another type).
 */
export const encodeCursor = (position: unknown): string =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

export const invalidCursor = () => badRequest('invalid_cursor', 'cursor is not one this listing answered.');

export function decodeCursor<S extends z.ZodMiniType>(cursor: string, schema: S): z.infer<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const r = schema.safeParse(parsed);
  if (!r.success) throw invalidCursor();
  return r.data as z.infer<S>;
}
