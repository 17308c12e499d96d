/** How a request to the hub authenticates. */
export type Auth =
  | { admin: string }
  | { key: string }
  | { bearer: string }
  | { basic: [user: string, password: string] }
  | undefined;

export interface Answer {
  status: number;
  json: unknown;
}

export interface HubClient {
  /** The hub's base URL (the same across restarts: the hub runs on a fixed port). */
  base: string;
  /**
   * One request. While the hub is down (a crash, a restart) the request is sent again until it gets
   * an answer below 500, so callers must only send what is safe to repeat (the soak's requests are:
   * Idempotency-Key, identical row bodies, known apiuuids, the same packetUniqueId).
   */
  call(
    method: string,
    path: string,
    auth: Auth,
    body?: string | Buffer,
    headers?: Record<string, string>,
  ): Promise<Answer>;
  /** Network errors, 5xx answers and 409s for an Idempotency-Key in use, seen and retried. */
  retried: { network: number; serverError: number; keyInUse: number };
}

export function hubClient(base: string, giveUpAfterMs = 180_000): HubClient {
  const retried = { network: 0, serverError: 0, keyInUse: 0 };
  return {
    base,
    retried,
    async call(method, path, auth, body, headers = {}) {
      const h: Record<string, string> = { ...headers };
      if (auth && 'admin' in auth) h.authorization = `Bearer ${auth.admin}`;
      if (auth && 'key' in auth) h['x-api-key'] = auth.key;
      if (auth && 'bearer' in auth) h.authorization = `Bearer ${auth.bearer}`;
      if (auth && 'basic' in auth)
        h.authorization = `Basic ${Buffer.from(`${auth.basic[0]}:${auth.basic[1]}`).toString('base64')}`;
      if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
      const until = Date.now() + giveUpAfterMs;
      for (let i = 0; ; i++) {
        try {
          const r = await fetch(`${base}${path}`, {
            method,
            headers: h,
            ...(body === undefined ? {} : { body }),
            signal: AbortSignal.timeout(60_000),
          });
          const text = await r.text();
          if (r.status < 500) {
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            return { status: r.status, json };
          }
          retried.serverError++;
          if (Date.now() > until) return { status: r.status, json: text };
        } catch (e) {
          retried.network++;
          if (Date.now() > until) throw new Error(`${method} ${path}: no answer: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** i)));
      }
    },
  };
}

/** Reads a nested field of an answer without trusting its shape. */
export function field(value: unknown, ...path: (string | number)[]): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}
export const str = (value: unknown, ...path: (string | number)[]): string | undefined => {
  const v = field(value, ...path);
  return typeof v === 'string' ? v : undefined;
};
export const num = (value: unknown, ...path: (string | number)[]): number | undefined => {
  const v = field(value, ...path);
  return typeof v === 'number' ? v : undefined;
};
export const list = (value: unknown, ...path: (string | number)[]): unknown[] => {
  const v = field(value, ...path);
  return Array.isArray(v) ? v : [];
};
