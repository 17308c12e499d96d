import type { RouteDefinition } from '../route-types.js';

/** The 3PL face (seed 002): its paths, header rules, field names and status codes. */
export const threeplRoutes: readonly RouteDefinition[] = [];
