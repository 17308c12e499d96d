import { HubError } from '../client/index.js';

/** Exit codes: 0 done, 1 failed (the hub said no, or could not be reached), 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure the CLI explains in a sentence that says what to do; `code` is for --json. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: number = EXIT.failed,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, 'usage', EXIT.usage);

/** The network error code under fetch's `TypeError: fetch failed` (ECONNREFUSED, ENOTFOUND, …). */
function networkCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns what a command threw into a CliError a person can act on. */
export function explain(error: unknown, hubUrl: string | undefined): CliError {
  if (error instanceof CliError) return error;
  const at = hubUrl ? ` at ${hubUrl}` : '';
  if (error instanceof HubError) {
    if (error.status === 401) {
      return new CliError(
        `The hub${at} refused the admin key (401 ${error.code}): run \`crossdock login\` with the hub's admin key (or set CROSSDOCK_ADMIN_KEY).`,
        error.code,
        EXIT.failed,
        401,
      );
    }
    const hint = error.status >= 500 ? ' The hub logs the request under its x-request-id.' : '';
    return new CliError(
      `${error.message} (${error.status} ${error.code})${hint}`,
      error.code,
      EXIT.failed,
      error.status,
    );
  }
  const code = networkCode(error);
  if (code === 'ECONNREFUSED') {
    return new CliError(
      `Cannot reach the hub${at}: connection refused. Is the hub running? Start the local one with \`npm start\`, or give another URL with --url or \`crossdock login --url …\`.`,
      'connection_refused',
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(
      `Cannot reach the hub${at}: the host name does not resolve (${code}). Check the URL.`,
      'host_not_found',
    );
  }
  if (code)
    return new CliError(
      `Cannot reach the hub${at}: ${code}. Check the URL and your network.`,
      'network_error',
    );
  if (error instanceof TypeError && /Invalid URL|Failed to parse URL/i.test(error.message)) {
    return new CliError(
      `The hub URL${at} is not a URL: give one like http://127.0.0.1:3000.`,
      'bad_url',
      EXIT.usage,
    );
  }
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const why = cause instanceof Error ? cause.message : 'the request failed';
    return new CliError(`Cannot reach the hub${at}: ${why}. Check the URL.`, 'network_error');
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError(`Unexpected error: ${message}`, 'internal');
}
