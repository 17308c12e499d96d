import type { z } from 'zod/mini';
import { badRequest, unsupportedMediaType } from '../core/errors.js';
import { parseValue } from '../core/parse.js';
import { capReason } from '../core/reason.js';
import type { HubRequest } from './middleware.js';

/** `application/json` or a `+json` type (`application/merge-patch+json`), any parameters. */
export function isJsonContentType(header: string | undefined): boolean {
  const type = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * A body's text, which must be UTF-8. Bytes that are not are a 400, never read with U+FFFD in their
 * place; nor is a raw U+FFFD taken: an HTTP API hands a text-typed body to the function as a string,
 * and that is what bytes that were not UTF-8 have become on the way (escape it as \ufffd if meant).
 */
export function utf8Text(body: Uint8Array, what = 'The body'): string {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw badRequest('invalid_encoding', `${what} is not valid UTF-8.`);
  }
  if (text.includes('\uFFFD')) {
    throw badRequest(
      'invalid_encoding',
      `${what} carries U+FFFD, the mark of bytes that were not UTF-8; send UTF-8 (escape a meant U+FFFD as \\ufffd).`,
    );
  }
  return text;
}

export interface JsonBodyOptions {
  /**
   * The caller has settled the format already (the ERP face's `format=`, the 3PL face's own 499
   * rule), so any Content-Type is taken. Otherwise a body under a non-JSON Content-Type is 415.
   */
  anyContentType?: boolean;
}

/**
 * Reads a JSON body through a strict schema, the one way every face reads JSON: the Content-Type must
 * be JSON (415), the bytes UTF-8 (400), and unknown properties and prototype keys are a 400.
 */
export function parseJsonBody<S extends z.ZodMiniType>(
  schema: S,
  req: Pick<HubRequest, 'body' | 'headers'>,
  options: JsonBodyOptions = {},
): z.output<S> {
  if (req.body.length === 0) throw badRequest('empty_body', 'The request needs a JSON body.');
  if (!options.anyContentType && !isJsonContentType(req.headers['content-type'])) {
    throw unsupportedMediaType('The body must be JSON, sent with Content-Type: application/json.');
  }
  const text = utf8Text(req.body);
  let value: unknown;
  try {
    value = JSON.parse(text, (key, v) => {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        throw new SyntaxError(`the property "${key}" is not allowed`);
      }
      return v;
    });
  } catch (e) {
    throw badRequest('invalid_json', capReason(`The body is not valid JSON: ${(e as Error).message}`));
  }
  return parseValue(schema, value);
}
