/**
 * The typed client of the hub's API, shared by the operator CLI and the web console: openapi-fetch
 * over the types openapi-typescript generates from GET /openapi.json (client/schema.ts). No Node-only
 * imports here: it runs wherever `fetch` does.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

export type HubClient = Client<paths>;

export interface HubClientOptions {
  /** The hub's base URL, e.g. http://127.0.0.1:3000 or a stage's ApiUrl. */
  baseUrl: string;
  /** The admin key, sent as `Authorization: Bearer …` on every request. */
  adminKey?: string;
  fetch?: typeof globalThis.fetch;
}

export function createHubClient({ baseUrl, adminKey, fetch }: HubClientOptions): HubClient {
  return createClient<paths>({
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: adminKey ? { authorization: `Bearer ${adminKey}` } : {},
    ...(fetch ? { fetch } : {}),
  });
}

/** The hub's own error body: `{"error":{"code","message"}}`. */
export type HubErrorBody = components['schemas']['Error'];

/** An answer of 4xx or 5xx, with the hub's code and message when it gave them. */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

const isHubErrorBody = (body: unknown): body is HubErrorBody => {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
};

/**
 * The data of a successful answer, or a HubError carrying the hub's code and message. Network
 * failures are fetch's own errors and pass through.
 */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  if (isHubErrorBody(error)) throw new HubError(response.status, error.error.code, error.error.message);
  throw new HubError(response.status, `http_${response.status}`, `The hub answered ${response.status}.`);
}
