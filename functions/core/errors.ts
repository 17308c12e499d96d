import { capReason } from './reason.js';

/**
 * Typed errors that own their HTTP status. Each face's error boundary maps them to its own body
 * shape; anything that is not a HubError becomes a generic 500 with no internals. The message is
 * capped: it may quote partner input (a parser's reason), and no answer grows with that input.
 */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The input field the error is about (a body's top-level property), where one is to blame. */
    readonly field?: string,
  ) {
    super(capReason(message));
    this.name = 'HubError';
  }
}

export const badRequest = (code: string, message: string, field?: string) =>
  new HubError(400, code, message, field);
export const unauthorized = (message = 'An API key is required.') =>
  new HubError(401, 'unauthorized', message);
export const forbidden = (message: string) => new HubError(403, 'forbidden', message);
export const notFound = (what: string) => new HubError(404, 'not_found', `${what} was not found.`);
export const conflict = (code: string, message: string, field?: string) =>
  new HubError(409, code, message, field);
export const payloadTooLarge = (limitBytes: number, hint: string) =>
  new HubError(413, 'payload_too_large', `The body is larger than ${limitBytes} bytes. ${hint}`);
export const unsupportedMediaType = (message: string) => new HubError(415, 'unsupported_media_type', message);
export const unprocessable = (code: string, message: string) => new HubError(422, code, message);

/**
 * An Inbound document that cannot be applied as it is (not parseable, a row without an id, another
 * partner's row): the same document fails the same way, so its delivery fails without retry.
 */
export class ApplyRefused extends Error {}
