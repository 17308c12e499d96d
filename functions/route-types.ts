import type { z } from 'zod/mini';

/** The shapes of the route table (functions/routes.ts), shared by every face's route list. */

/** The resources a function touches and how: CDK turns each into an env var and the matching IAM grant. */
export type ResourceUse =
  | 'registry:read'
  | 'registry:write'
  | 'messages:read'
  | 'messages:write'
  | 'payloads:read'
  | 'payloads:write'
  | 'deliveryQueue:send'
  | 'deliveryQueue:consume'
  | 'deliveryDeadLetter:consume'
  | 'adminKey:read';

export type AuthKind = 'none' | 'admin' | 'apiKey';

export interface HandlerRef {
  /** Path under functions/, e.g. `http/messages.ts`. */
  file: string;
  /** The exported handler. */
  export: string;
}

export interface RouteDefinition {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `/admin/partners/{code}`. */
  path: string;
  handler: HandlerRef;
  auth: AuthKind;
  summary: string;
  uses: readonly ResourceUse[];
  query?: z.ZodMiniObject;
  body?: z.ZodMiniType;
  /** Raw bodies (documents) are described by content type instead of a schema. */
  rawBody?: string;
  responses: Record<number, string>;
  /** Memory in MB; 256 unless a handler needs more. */
  memoryMb?: number;
}

export interface WorkerDefinition {
  id: string;
  handler: HandlerRef;
  uses: readonly ResourceUse[];
  source: 'deliveryQueue' | 'deliveryDeadLetter';
  batchSize: number;
  timeoutSeconds: number;
  memoryMb?: number;
}

/** A handler reference: `h('http/messages.ts', 'postMessage')`. */
export const h = (file: string, name: string): HandlerRef => ({ file, export: name });
