/**
 * A partner's refused requests (4xx), kept a short while so the operator can tell a partner why it
 * was turned away (GET /admin/partners/{code}/requests). Rules only: what is kept, and the partners
 * a request names. Never a key, a token or an Authorization header: only the method, the path
 * (without its query, where seed 000 allows the key), the status, the error code and the user agent.
 */

/** How long a refused request is kept. */
export const REFUSAL_RETENTION_DAYS = 7;
/** The longest path and user agent kept; longer ones are cut. */
export const MAX_REFUSED_PATH_CHARS = 256;
export const MAX_USER_AGENT_CHARS = 256;

const PARTNER_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A refused request as the edge saw it. `key` is used to find its partner, and never kept. */
export interface RefusedRequest {
  method: string;
  path: string;
  status: number;
  code: string;
  userAgent?: string | undefined;
  /** The partner the request authenticated as, when it got that far. */
  partner?: string | undefined;
  /** The key it presented, if any (x-api-key or apikey). */
  key?: string | undefined;
  /** Partner codes the request names: its `sender`, its path's app area. */
  named: string[];
}

/** What is kept of a refused request. */
export interface RefusalRecord {
  at: string;
  method: string;
  path: string;
  status: number;
  code: string;
  userAgent?: string;
}

export function refusalRecord(r: RefusedRequest, at: number): RefusalRecord {
  const ua = r.userAgent?.slice(0, MAX_USER_AGENT_CHARS);
  return {
    at: new Date(at).toISOString(),
    method: r.method.slice(0, 16),
    path: r.path.slice(0, MAX_REFUSED_PATH_CHARS),
    status: r.status,
    code: r.code.slice(0, 64),
    ...(ua ? { userAgent: ua } : {}),
  };
}

/** The partner codes a request names, in the order they are tried (well-formed codes only). */
export function namedPartners(query: Record<string, string>, path: Record<string, string>): string[] {
  return [query.sender, path.appArea].filter(
    (c, i, all): c is string => typeof c === 'string' && PARTNER_CODE.test(c) && all.indexOf(c) === i,
  );
}
