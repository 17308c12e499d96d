import * as z from 'zod/mini';

/**
 * A whole number as a query string or form field spells it: ASCII digits only. `Number()` alone would
 * also read `1e3`, `0x10`, `+5`, `5.0`, ` 5 ` and `Infinity`; the ERP face never took those, and no
 * route does now. Fifteen digits keep every value exact.
 */
const DIGITS = /^[0-9]{1,15}$/;

/** The number `raw` spells, when it is digits only and within min..max; else undefined. */
export function wholeNumber(raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || !DIGITS.test(raw)) return undefined;
  const n = Number(raw);
  return n >= min && n <= max ? n : undefined;
}

/** The same rule as a schema for a route's query (its range is checked where the value is used). */
export const wholeNumberString = (message: string, missing = message) =>
  z.string({ error: missing }).check(z.regex(DIGITS, message));
