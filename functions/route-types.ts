import type { z } from 'zod/mini';
import type { Scope } from './core/partners.js';
import type { FaceRules } from './http/faces/face.js';

/** The shapes of the route table (functions/routes.ts), shared by every route's declaration. */

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
  | 'adminKey:read'
  /** Keeps a partner's refused requests: one PutItem on the messages table, nothing else. */
  | 'requests:record';

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
export type TopicName = 'packetTopic' | 'eventsTopic';

/**
 * Who may call a route, checked by the edge wrapper (functions/http/edge.ts) before the handler runs:
 * `admin` the operator's key; `apiKey` a partner key with the route's `scope`; `basic` and
 * `bearerToken` are the 3PL face's (seed 002): Basic credentials, then its access tokens.
 */
export type AuthKind = 'none' | 'admin' | 'apiKey' | 'basic' | 'bearerToken';

/**
 * The resources checking a caller of each kind reads: the admin key's secret, the partner keys and
 * the 3PL tokens (both in the registry table). Basic credentials are checked by the token use case
 * itself, which also records failures, so its routes name what it uses. The routes partners call
 * with a key or a token also keep what they refuse (`requests:record`, functions/http/edge.ts).
 */
export const AUTH_USES: Readonly<Record<AuthKind, readonly ResourceUse[]>> = {
  none: [],
  admin: ['adminKey:read'],
  apiKey: ['registry:read', 'requests:record'],
  basic: [],
  bearerToken: ['registry:read', 'requests:record'],
};

/**
 * How a face answers errors: the hub's `{"error":{code,message}}`, the 3PL face's
 * `{"ResponseCode","ResponseMessage"}` (seed 002; `oauth` adds RFC 6749's error fields), the
 * ERP/device face's `{"success":false,"error":{…}}` (seed 003), or OData's
 * `{"error":{code,message,target?}}` (the registry under /odata, seed 004's wire format).
 */
export type Face = 'hub' | 'threepl' | 'oauth' | 'packets' | 'odata';

export interface HandlerRef {
  /** Path under functions/, e.g. `http/messages.ts`. */
  file: string;
  /** The exported handler. */
  export: string;
}

/** One answer of a route: a description, and the schema (JSON) or the content type of its body. */
export interface ResponseDoc {
  description: string;
  /** The JSON body; `GET /openapi.json` shows it and the tests check every answer against it. */
  schema?: z.ZodMiniType;
  /** A body that is not JSON (a document, a URL as text/plain, XML). */
  contentType?: string;
  /** A second form of the body, e.g. the XML of a listing also answered in JSON. */
  alternative?: { contentType: string; description: string };
}

interface RouteFields {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `/admin/partners/{code}`; every `{name}` is a key of `params`. */
  path: string;
  handler: HandlerRef;
  summary: string;
  /** What the handler's use case uses beyond what its auth kind implies (AUTH_USES); see usesOf. */
  uses: readonly ResourceUse[];
  /** The path parameters, parsed before the handler runs (400 `invalid_parameter`). */
  params?: z.ZodMiniObject;
  /** The query (or, where a route reads forms, the form fields), parsed before the handler runs. */
  query?: z.ZodMiniObject;
  /** A JSON body, parsed before the handler runs (the face's Content-Type rule, UTF-8, strict). */
  body?: z.ZodMiniType;
  /** An empty body is read as `{}` (the body's defaults). */
  bodyOptional?: boolean;
  /** Raw bodies (documents, forms, JSON-or-XML) are described by content type and read by the handler. */
  rawBody?: string;
  /** Every status the route answers; errors (≥ 400) are in the face's error shape. */
  responses: Readonly<Record<number, string | ResponseDoc>>;
  /** Bodies larger than this are refused with 413 before anything reads them (default 256 KiB). */
  maxBodyBytes?: number;
  bodyTooLargeHint?: string;
  /**
   * The face the route answers in, which checks its callers and shapes its errors: unset, the hub's
   * own (functions/http/faces/hub.ts); THREEPL or OAUTH for the 3PL routes, PACKETS for the ERP and
   * device routes, ODATA for /odata (functions/http/faces/).
   */
  face?: FaceRules;
  /** Memory in MB; 256 unless a handler needs more. */
  memoryMb?: number;
  /** Files its function serves, built into its bundle: `console`, the operator console (console/). */
  ships?: readonly 'console'[];
}

/**
 * A route: declared once, in functions/routes/X.ts when its handler is in functions/http/X.ts, and
 * listed in functions/routes.ts. CDK builds its function and API route from it, the local hub serves
 * it, OpenAPI documents it, and its handler's edge wrapper enforces its auth and parses its input
 * with its schemas.
 */
export type RouteDefinition = RouteFields &
  (
    | { auth: Exclude<AuthKind, 'apiKey'>; scope?: undefined }
    | {
        auth: 'apiKey';
        /**
         * The scope the key must have. `messages`: the key in `x-api-key` or `apikey` (query or form).
         * `erp` and `device`: in `x-api-key` only, and the key's partner is the path's appArea; a
         * device key bound to a mobile user serves only the path's mobileUser.
         */
        scope: Scope;
        /** A second scope that also admits the key (the hub face only): `scope` or `orScope`. */
        orScope?: Scope;
      }
  );

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

/**
 * A job run on a schedule with no queue behind it (an EventBridge rule on AWS, a timer in the local
 * hub): it finds its own work, through sparse indexes, so a run costs what is due.
 */
export interface ScheduledJobDefinition {
  id: string;
  handler: HandlerRef;
  uses: readonly ResourceUse[];
  everyMinutes: number;
  timeoutSeconds: number;
  memoryMb?: number;
}

const allUses = new WeakMap<object, readonly ResourceUse[]>();

/**
 * Every resource a route's function uses: those its auth kind implies, then its own. CDK binds
 * exactly these (env var + IAM grant) and the local hub gives the handler exactly their environment.
 * A worker's are its `uses`. The same definition always gives the same array.
 */
export function usesOf(
  definition: RouteDefinition | WorkerDefinition | ScheduledJobDefinition,
): readonly ResourceUse[] {
  if (!('auth' in definition)) return definition.uses;
  let uses = allUses.get(definition);
  if (!uses) {
    uses = [...new Set([...AUTH_USES[definition.auth], ...definition.uses])];
    allUses.set(definition, uses);
  }
  return uses;
}

/** The name of the face a route answers in. */
export const faceOf = (route: Pick<RouteDefinition, 'face'>): Face => route.face?.name ?? 'hub';

const KEY_REFUSED: Readonly<Record<Scope, string>> = {
  messages: 'key revoked, unknown, or without the messages scope',
  erp: 'key revoked or unknown, not scoped erp, or another area’s',
  device: 'key revoked or unknown, not scoped device, another area, or bound to another user',
  entities: 'key revoked, unknown, or without the entities scope',
};

/**
 * Every answer of a route: those its auth kind (and scope) and its face imply, then its own, which
 * may say more about the same status. GET /openapi.json lists them.
 */
export function answersOf(route: RouteDefinition): Readonly<Record<number, string | ResponseDoc>> {
  const face = faceOf(route);
  const implied: Record<number, string> =
    route.auth === 'admin'
      ? { 401: 'admin key missing or wrong' }
      : route.auth === 'apiKey'
        ? {
            401: 'no key',
            403: route.orScope
              ? `key revoked, unknown, or with neither the ${route.scope} nor the ${route.orScope} scope`
              : KEY_REFUSED[route.scope],
          }
        : route.auth === 'bearerToken'
          ? { 401: 'no token', 403: 'token invalid or expired' }
          : route.auth === 'basic'
            ? { 401: face === 'oauth' ? 'invalid_client' : 'credentials missing, malformed or wrong' }
            : {};
  // Seed 002's own: the 3PL face's Content-Type rule, and a 500 in its shape.
  if (face === 'threepl') implied[499] = 'a Content-Type other than JSON';
  if (face === 'threepl' || face === 'oauth') implied[500] = 'server error';
  return { ...implied, ...route.responses };
}

/** A handler reference: `h('http/messages.ts', 'postMessage')`. */
// @__NO_SIDE_EFFECTS__
export function h(file: string, name: string): HandlerRef {
  return { file, export: name };
}
