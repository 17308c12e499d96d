import * as z from 'zod/mini';
import { DELIVERY_WORKER_TIMEOUT_SECONDS, UPLOAD_WORKER_TIMEOUT_SECONDS } from '../lib/resources.js';
import { IntegrationInputSchema, IntegrationPatchSchema } from './core/integration.js';
import { DoneBodySchema } from './core/lease.js';
import { CreateKeySchema, CreatePartnerSchema } from './core/partners.js';
import { h, type RouteDefinition, type WorkerDefinition } from './route-types.js';
import { erpRoutes, erpWorkers } from './routes/erp.js';
import { threeplRoutes } from './routes/threepl.js';

export type { AuthKind, HandlerRef, ResourceUse, RouteDefinition, WorkerDefinition } from './route-types.js';

/**
 * THE route table. The CDK stack builds one Lambda function and one API Gateway route per entry, the
 * local hub serves the same handlers, and GET /openapi.json is generated from it.
 */

const admin = 'admin' as const;

export const MessageQuerySchema = z.object({
  sender: z.optional(z.string()),
  receiver: z.optional(z.string()),
  apikey: z.optional(z.string()),
  doctype: z.optional(z.string()),
  version: z.optional(z.string()),
});

export const RotateSecretSchema = z.strictObject({
  overlapSeconds: z.optional(z.int().check(z.gte(0), z.lte(30 * 86400))),
});

export const routes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/health',
    handler: h('http/system.ts', 'health'),
    auth: 'none',
    summary: 'Liveness and version',
    uses: [],
    responses: { 200: '{"status":"ok","version"}' },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: h('http/system.ts', 'openapi'),
    auth: 'none',
    summary: 'This document',
    uses: [],
    responses: { 200: 'OpenAPI 3.1' },
  },
  {
    method: 'POST',
    path: '/admin/partners',
    handler: h('http/admin/partners.ts', 'createPartner'),
    auth: admin,
    summary: 'Register a partner',
    uses: ['adminKey:read', 'registry:write'],
    body: CreatePartnerSchema,
    responses: {
      201: 'the partner',
      400: 'invalid body',
      401: 'admin key missing or wrong',
      409: 'code exists (codes are unique regardless of case)',
    },
  },
  {
    method: 'GET',
    path: '/admin/partners',
    handler: h('http/admin/partners.ts', 'listPartners'),
    auth: admin,
    summary: 'List partners',
    uses: ['adminKey:read', 'registry:read'],
    responses: { 200: '{"partners":[…]}', 401: 'admin key missing or wrong' },
  },
  {
    method: 'GET',
    path: '/admin/partners/{code}',
    handler: h('http/admin/partners.ts', 'getPartner'),
    auth: admin,
    summary: 'A partner with its keys (never the keys themselves)',
    uses: ['adminKey:read', 'registry:read'],
    responses: { 200: 'the partner and its keys', 401: 'admin key missing or wrong', 404: 'unknown partner' },
  },
  {
    method: 'POST',
    path: '/admin/partners/{code}/keys',
    handler: h('http/admin/partners.ts', 'createKey'),
    auth: admin,
    summary: 'Issue an API key (shown once)',
    uses: ['adminKey:read', 'registry:write'],
    body: CreateKeySchema,
    responses: {
      201: '{"id","key","scopes","mobileUser"?,"createdAt"}',
      400: 'invalid body',
      404: 'unknown partner',
    },
  },
  {
    method: 'DELETE',
    path: '/admin/partners/{code}/keys/{id}',
    handler: h('http/admin/partners.ts', 'revokeKey'),
    auth: admin,
    summary: 'Revoke an API key at once',
    uses: ['adminKey:read', 'registry:write'],
    responses: { 204: 'revoked', 404: 'unknown partner or key' },
  },
  {
    method: 'POST',
    path: '/admin/integrations',
    handler: h('http/admin/integrations.ts', 'createIntegration'),
    auth: admin,
    summary: 'Register an integration (the signing secret is shown once)',
    uses: ['adminKey:read', 'registry:write'],
    body: IntegrationInputSchema,
    responses: {
      201: 'the integration and its secret',
      400: 'a rule is violated (the message names the field)',
      409: 'duplicate name',
    },
  },
  {
    method: 'GET',
    path: '/admin/integrations',
    handler: h('http/admin/integrations.ts', 'listIntegrations'),
    auth: admin,
    summary: 'List integrations',
    uses: ['adminKey:read', 'registry:read'],
    responses: { 200: '{"integrations":[…]}' },
  },
  {
    method: 'GET',
    path: '/admin/integrations/{id}',
    handler: h('http/admin/integrations.ts', 'getIntegration'),
    auth: admin,
    summary: 'An integration',
    uses: ['adminKey:read', 'registry:read'],
    responses: { 200: 'the integration', 404: 'unknown integration' },
  },
  {
    method: 'PATCH',
    path: '/admin/integrations/{id}',
    handler: h('http/admin/integrations.ts', 'patchIntegration'),
    auth: admin,
    summary: 'Change an integration; the result must pass every rule',
    uses: ['adminKey:read', 'registry:write'],
    body: IntegrationPatchSchema,
    responses: {
      200: 'the integration',
      400: 'a rule is violated',
      404: 'unknown integration',
      409: 'duplicate name',
    },
  },
  {
    method: 'DELETE',
    path: '/admin/integrations/{id}',
    handler: h('http/admin/integrations.ts', 'deleteIntegration'),
    auth: admin,
    summary: 'Delete an integration',
    uses: ['adminKey:read', 'registry:write'],
    responses: { 204: 'deleted', 404: 'unknown integration' },
  },
  {
    method: 'POST',
    path: '/admin/integrations/{id}/rotate-secret',
    handler: h('http/admin/integrations.ts', 'rotateSecret'),
    auth: admin,
    summary: 'Rotate the signing secret; both secrets sign until the old one expires',
    uses: ['adminKey:read', 'registry:write'],
    body: RotateSecretSchema,
    responses: { 200: '{"secret","previousValidUntil"}', 404: 'unknown integration' },
  },
  {
    method: 'GET',
    path: '/admin/messages/{id}',
    handler: h('http/admin/messages.ts', 'getMessageAsAdmin'),
    auth: admin,
    summary: 'A message with every delivery and attempt',
    uses: ['adminKey:read', 'messages:read'],
    responses: { 200: 'the message', 404: 'unknown message' },
  },
  {
    method: 'POST',
    path: '/admin/messages/{id}/retry',
    handler: h('http/admin/messages.ts', 'retryMessage'),
    auth: admin,
    summary: 'Start failed deliveries again from attempt 1',
    uses: [
      'adminKey:read',
      'registry:read',
      'messages:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
    ],
    responses: { 202: '{"retried":[integration ids]}', 404: 'unknown message' },
  },
  {
    method: 'POST',
    path: '/v1/messages',
    handler: h('http/messages.ts', 'postMessage'),
    auth: 'apiKey',
    summary: 'Send a document (seed 000): stored, routed and delivered',
    uses: [
      'registry:read',
      'messages:write',
      'payloads:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
    ],
    query: MessageQuerySchema,
    rawBody: '*/*',
    responses: {
      202: '{"id","status":"accepted","sender","receiver","doctype","version","size","sha256","receivedAt"}',
      200: 'the same Idempotency-Key again: the first message',
      400: 'missing parameter, empty body, or a doctype (≤ 450) or version (≤ 64) too long or with control characters',
      401: 'no key',
      403: 'key revoked, unknown, or not the sender’s',
      404: 'unknown receiver',
      409: 'Idempotency-Key reused with a different body, receiver, doctype, version or content type',
      413: 'over the size limit',
      422: 'no active Outbound integration routes this message',
    },
    // Accepting is I/O-bound: 256 MB holds a 4 MiB body and its copies (decoded, deflated, hashed).
  },
  {
    method: 'GET',
    path: '/v1/messages/{id}',
    handler: h('http/message-reads.ts', 'getMessage'),
    auth: 'apiKey',
    summary:
      'A message’s status, deliveries and attempts (sender or receiver only); note: what the hub noticed after acceptance (an upload URL used again)',
    uses: ['registry:read', 'messages:read'],
    responses: { 200: 'the message', 401: 'no key', 403: 'bad key', 404: 'unknown, or another partner’s' },
  },
  {
    method: 'GET',
    path: '/v1/messages/{id}/payload',
    handler: h('http/message-reads.ts', 'getPayload'),
    auth: 'apiKey',
    summary:
      'The document, with its original content type and x-content-type-options: nosniff (sender or receiver only)',
    uses: ['registry:read', 'messages:read', 'payloads:read'],
    responses: {
      200: 'the document',
      307: 'a document over 4 MiB: Location is a presigned S3 GET, valid 15 minutes',
      404: 'unknown, or another partner’s',
    },
  },
  {
    method: 'POST',
    path: '/v1/messages/uploads',
    handler: h('http/uploads.ts', 'postUpload'),
    auth: 'apiKey',
    summary:
      'Announce a document over the inline limit: a presigned PUT (15 minutes, exactly `size` bytes of `contentType`); the message is accepted when the upload lands',
    uses: ['registry:read', 'messages:write', 'payloads:presignUpload'],
    query: z.object({
      sender: z.optional(z.string()),
      receiver: z.optional(z.string()),
      apikey: z.optional(z.string()),
      doctype: z.optional(z.string()),
      version: z.optional(z.string()),
      size: z.optional(z.string()),
      contentType: z.optional(z.string()),
    }),
    responses: {
      201: '{"id","uploadUrl","expiresAt"}',
      400: 'missing parameter, bad size (digits, 1 byte to 10 MiB), content type, doctype or version',
      401: 'no key',
      403: 'bad key',
      404: 'unknown receiver',
      422: 'no active Outbound integration routes this message',
    },
  },
  {
    method: 'GET',
    path: '/v1/inbox',
    handler: h('http/inbox.ts', 'getInbox'),
    auth: 'apiKey',
    summary:
      'Lease the receiver’s waiting pull deliveries (limit ≤ 100, visibilityTimeout 1–43200 s, default 900)',
    uses: ['registry:read', 'messages:write'],
    query: z.object({
      apikey: z.optional(z.string()),
      limit: z.optional(z.string()),
      visibilityTimeout: z.optional(z.string()),
    }),
    responses: {
      200: '{"messages":[{"id","receiptHandle","sender","doctype","version","size","receivedAt"}]}',
      400: 'bad limit or visibilityTimeout',
      401: 'no key',
      403: 'bad key',
    },
  },
  {
    method: 'POST',
    path: '/v1/inbox/done',
    handler: h('http/inbox.ts', 'inboxDone'),
    auth: 'apiKey',
    summary:
      'Complete leased deliveries; stale handles and unknown ids are listed in failed, the rest are done',
    uses: ['registry:read', 'messages:write'],
    body: DoneBodySchema,
    responses: {
      200: '{"success":true} or {"success":false,"failed":[{"id","error"}]}',
      400: 'malformed body',
    },
  },
  ...threeplRoutes,
  ...erpRoutes,
];

export const workers: readonly WorkerDefinition[] = [
  {
    id: 'Deliver',
    handler: h('workers/deliver.ts', 'handler'),
    // :send too: a job that finds no free in-flight permit is requeued as a fresh message.
    uses: ['registry:read', 'messages:write', 'payloads:read', 'deliveryQueue:consume', 'deliveryQueue:send'],
    source: 'deliveryQueue',
    batchSize: 10,
    timeoutSeconds: DELIVERY_WORKER_TIMEOUT_SECONDS,
    maxConcurrency: 20,
    // Up to ten documents (each ≤ 10 MiB from uploads) may be in memory at once.
    memoryMb: 512,
  },
  {
    id: 'DeliverOrdered',
    handler: h('workers/deliver.ts', 'handler'),
    // :send on the standard queue: jobs of an integration switched to parallel move there.
    uses: [
      'registry:read',
      'messages:write',
      'payloads:read',
      'orderedDeliveryQueue:consume',
      'deliveryQueue:send',
    ],
    source: 'orderedDeliveryQueue',
    batchSize: 10,
    timeoutSeconds: DELIVERY_WORKER_TIMEOUT_SECONDS,
    maxConcurrency: 10,
    memoryMb: 512,
  },
  {
    // Swept, not consumed: what it marks stays in the queue for SQS's redrive.
    id: 'DeadLetter',
    handler: h('workers/dead-letter.ts', 'sweep'),
    uses: ['messages:write', 'deliveryDeadLetter:peek'],
    source: 'deliveryDeadLetter',
    sweepEveryMinutes: 5,
    batchSize: 10,
    timeoutSeconds: 60,
  },
  {
    id: 'OrderedDeadLetter',
    handler: h('workers/dead-letter.ts', 'handler'),
    uses: ['messages:write', 'orderedDeliveryDeadLetter:consume'],
    source: 'orderedDeliveryDeadLetter',
    batchSize: 10,
    timeoutSeconds: 30,
  },
  {
    id: 'UploadLanded',
    handler: h('workers/upload-landed.ts', 'handler'),
    // :write: the accepted bytes are stored under payloads/, as a posted document's are.
    uses: [
      'registry:read',
      'messages:write',
      'payloads:read',
      'payloads:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
      'uploadQueue:consume',
    ],
    source: 'uploadQueue',
    batchSize: 10,
    timeoutSeconds: UPLOAD_WORKER_TIMEOUT_SECONDS,
    memoryMb: 512,
  },
  {
    id: 'UploadDeadLetter',
    handler: h('workers/upload-landed.ts', 'deadLetterHandler'),
    uses: ['messages:write', 'uploadDeadLetter:consume'],
    source: 'uploadDeadLetter',
    batchSize: 10,
    timeoutSeconds: 30,
  },
  ...erpWorkers,
];
