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
  /** Presigns PUT URLs under uploads/ (the function itself never writes the object). */
  | 'payloads:presignUpload'
  /** Presigns PUT URLs for sync packets under packets/ (the function itself never writes the object). */
  | 'packets:presignUpload'
  /** Presigns GET URLs for sync packets under packets/ and native-packets/ (it never reads them itself). */
  | 'packets:presignDownload'
  | `${TopicName}:publish`
  | `${QueueName}:send`
  | `${QueueSource}:consume`
  /** Reads a dead-letter queue and hides what it read for a while, but never deletes (a sweep). */
  | `${DeadLetterSource}:peek`
  | 'adminKey:read';

/** The queues of lib/resources.ts, by the name routes use for them. */
export type QueueName = 'deliveryQueue' | 'orderedDeliveryQueue' | 'uploadQueue' | 'packetQueue';
/** What a worker can consume: a queue, or the dead-letter queue behind it. */
export type QueueSource =
  | QueueName
  | 'deliveryDeadLetter'
  | 'orderedDeliveryDeadLetter'
  | 'uploadDeadLetter'
  | 'packetDeadLetter';
/** The dead-letter queues among the sources. */
export type DeadLetterSource = Exclude<QueueSource, QueueName>;
/** The SNS topics of lib/resources.ts, by the name routes and workers use for them. */
export type TopicName = 'packetTopic';

/** `basic` and `bearerToken` are the 3PL face's (seed 002): Basic credentials, then its access tokens. */
export type AuthKind = 'none' | 'admin' | 'apiKey' | 'basic' | 'bearerToken';

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
  source: QueueSource;
  /**
   * Unset: an SQS event source mapping hands the worker batches of `source` and deletes what it does
   * not report failed. Set: the worker is invoked on this schedule instead, reads `source` itself
   * (`<source>:peek`; a standard dead-letter queue only) and deletes nothing, so what it read stays
   * for SQS's dead-letter redrive.
   */
  sweepEveryMinutes?: number;
  /** Most concurrent invocations of the event source mapping (unset: the account's default scaling). */
  maxConcurrency?: number;
  batchSize: number;
  timeoutSeconds: number;
  memoryMb?: number;
}

/** A handler reference: `h('http/messages.ts', 'postMessage')`. */
export const h = (file: string, name: string): HandlerRef => ({ file, export: name });
