import type { Face, RouteDefinition } from '../../route-types.js';
import type { ErrorBody, HubRequest, HubResponse } from '../middleware.js';

/**
 * What a face of the hub keeps as its own at the edge: how it checks callers, its error shape, its
 * body cap, its Content-Type rule. The hub's own face is the default; a route of another face names
 * it (`face:` in its declaration), so a function's bundle holds only the face it answers in.
 */
export interface FaceRules {
  name: Face;
  /** The caller of a route of this face (by its auth kind and scope), or the face's 401/403. */
  authenticate(route: RouteDefinition, req: HubRequest, ports: unknown): Promise<unknown>;
  /** What the caller is once the path is parsed (e.g. a device key bound to the path's user). */
  authorize?(route: RouteDefinition, caller: unknown, params: Record<string, unknown>): unknown;
  /** The body of an error answered before or after the handler (413, 5xx, and by default every other). */
  errorBody: ErrorBody;
  /** Errors below 500 the face answers with more than a body (headers, details). */
  respond?: (e: Error, route: RouteDefinition) => HubResponse | undefined;
  /** The body cap unless the route sets its own. */
  maxBodyBytes: number;
  bodyTooLargeHint?: string;
  /** JSON bodies are read whatever their Content-Type: the face has its own rule, or settles it per route. */
  anyContentType: boolean;
  /** Runs before the caller is checked. */
  before?: (route: RouteDefinition, req: HubRequest) => void;
}

export const noCheck = (face: Face, route: RouteDefinition) =>
  new Error(`The ${face} face has no ${route.auth} check (${route.method} ${route.path}).`);
