/**
 * The one function of `node:http` the integration rules use (functions/core/integration.ts), with
 * Node's own check: a header value may hold tab, visible ASCII and Latin-1 (0x80–0xFF), nothing else.
 */
const INVALID_HEADER_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export function validateHeaderValue(name: string, value: unknown): void {
  if (value === undefined) throw new TypeError(`Invalid value "undefined" for header "${name}"`);
  if (INVALID_HEADER_CHAR.test(String(value))) {
    throw new TypeError(`Invalid character in header content ["${name}"]`);
  }
}
