import * as z from 'zod/mini';
import pkg from '../package.json' with { type: 'json' };
import { ODataErrorSchema } from './core/odata.js';
import { answersOf, FACE_NOTES, type Face, faceOf, type RouteDefinition, routes } from './routes.js';

/** Builds the OpenAPI 3.1 document from the route table and the schemas that validate requests and answers. */
export function buildOpenApi(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const exportUses = new Map<string, number>();
  for (const { handler } of routes) exportUses.set(handler.export, (exportUses.get(handler.export) ?? 0) + 1);
  for (const route of routes) {
    // API Gateway's greedy `{proxy+}` is OpenAPI's `{proxy}` (which cannot say it spans slashes).
    const path = route.path.replace(/\{(\w+)\+\}/g, '{$1}');
    paths[path] ??= {};
    // operationIds are unique (OpenAPI requires it; generators name functions after them): the handler's
    // export, made unique by method and path where routes share one (byRouteKey, /mobile/erp/...).
    const shared = (exportUses.get(route.handler.export) ?? 0) > 1;
    const operationId = shared
      ? `${route.handler.export}_${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+/g, '_')}`
      : route.handler.export;
    (paths[path] as Record<string, unknown>)[route.method.toLowerCase()] = operation(route, operationId);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Crossdock',
      version: pkg.version,
      description: [
        'A B2B integration hub: partners post documents, the hub stores, routes and delivers them.',
        'Choices the contract leaves open:',
        '- Documents that deflate to 4 KB or less are kept in DynamoDB, larger ones in S3; POST /v1/messages accepts up to 4 MiB; POST /v1/messages/uploads up to 10 MiB; GET …/payload redirects (307) to a presigned S3 GET above 4 MiB.',
        '- Form posts (urlencoded or multipart) carry the parameters as fields and the document in `payload`; query parameters win over fields.',
        '- Documents are stored byte for byte as API Gateway hands them to the function. An HTTP API passes a body typed text/*, application/json, application/xml or application/javascript (with no charset, or charset=utf-8) as a string, in which bytes that are not UTF-8 cannot survive: they arrive as U+FFFD, and a Latin-1 or other non-UTF-8 document sent so is altered. Send such documents as application/octet-stream (or with their own charset, e.g. application/xml; charset=iso-8859-1, which travels as bytes), as a form (`payload` keeps its bytes, field or file), or through POST /v1/messages/uploads, whose PUT goes to S3 directly.',
        '- doctype is at most 450 characters and version at most 64 (an integration’s entity and version limits); neither may hold control characters (C0, DEL, C1) or bidirectional marks (U+061C, U+200E/F, U+202A–202E, U+2066–2069): 400, in the query, in form fields and for uploads.',
        '- Numbers in query strings (size, limit, visibilityTimeout) are ASCII digits only: 1e3, 0x10, +5 or 5.0 are 400.',
        '- The hub’s JSON routes (admin, inbox done) take a body only under a JSON Content-Type (application/json or a +json type), else 415. Every JSON body, the 3PL face’s included, must be UTF-8: other bytes, or a raw U+FFFD (what a text body’s invalid bytes become on the way; escape a meant one as \\ufffd), are 400 invalid_encoding.',
        '- A path whose %-escapes do not decode (%zz, or bytes that are not UTF-8 such as %ff%fe) is answered 400 `{"message":"Bad Request"}` by the gateway.',
        '- JSONata filters and templates run under a budget of 1 s and 400 levels of nesting per evaluation (in a worker thread with a deadline and a 64 MB heap; starting the worker and copying the document in are not counted; results are capped at 16 Mi characters). A filter that throws or overruns counts as false for that document (a message that nothing else routes is then 422; a 3PL line, 402); a template that does fails the attempt with the reason and ends the delivery without retry.',
        '- Every reason the hub stores or answers (attempt errors, packet failures, 400 messages) is capped at 1,024 characters. An attempt that cannot be prepared or made (a document or template that cannot be rendered) fails the delivery at once, never retried.',
        '- delivery.headers are checked with Node’s header rules (no CR, LF or other controls; Latin-1 only); the hub’s own (webhook-*, host, content-length, content-type, content-encoding, content-range, transfer-encoding) and hop-by-hop names (connection, keep-alive, te, trailer, upgrade, expect, proxy-*) are refused. Outbound URLs refuse port 0 and IPv4-compatible IPv6 literals such as [::10.0.0.1].',
        '- XML is refused before parsing when it has a DOCTYPE, nests deeper than 64 levels, has a name longer than 1,024 characters, an element with more than 256 attributes, or a < inside an attribute value.',
        '- Default retry schedule: attempts at 0 h, 1 h, 7 h, 19 h, each wait jittered ±10 %; Retry-After may lengthen a wait to at most twice its step (12 h cap).',
        '- parallel=false delivers in arrival order, one at a time, through a FIFO queue per integration; a retry holds back only that integration.',
        '- Workers cache an integration for up to one second: an operator’s change reaches deliveries within a second.',
        '- Inbox leases: limit 1–100 (default 10), visibilityTimeout 1–43200 s (default 900); a handle is stale once its lease ends or a newer one exists.',
        '- Outbound integrations default to parallel delivery (at most batchSize in flight, counted per worker batch; a job over the cap waits 1–3 s); set parallel=false for strict order.',
        '- A delivery whose job reaches the dead-letter queue (a worker crashed on it 25 times) is failed with "dead-lettered"; the job stays in the DLQ, and an SQS DLQ redrive starts the delivery again in a new round, as POST /admin/messages/{id}/retry does (ordered deliveries: the retry endpoint only).',
        '- Integration headers may not override the hub’s own (webhook-*, content-type, host, content-length).',
        '- API keys look like `cdk_…`; the admin API and partner keys are checked by SHA-256 digest in constant time.',
        '- Endpoint health (autoDisableAfterHours, default 120, 0..720 hours, fractions allowed, null never): only Outbound push/notify integrations are watched, and only deliveries that end on the endpoint’s answer or silence count (the last attempt failed, or a non-retryable answer). A delivery that could not be rendered or sent (a template that fails, a header Node refuses), one closed without an attempt (integration changed or deleted, client switched off, message expired) and a dead-lettered one neither open nor close the window. The window starts at the first such failed end after a delivered one (failingSince) and closes at the next delivered end; an attempt still in flight when the integration is disabled finishes as usual. A retry is not an end.',
        '- Disabling keeps `active` as the operator set it, sets health `disabled`, disabledAt and disabledReason (capped at 1,024 characters, naming the window and the last failure) and tells `integration.disabled` once. A PATCH (or OData PATCH) never changes health: changing autoDisableAfterHours, the URL or active leaves a disabled integration disabled until POST …/enable; health is not accepted in a body (400).',
        '- While disabled, messages it routes are accepted (202) as before; each delivery is held before any attempt is claimed, so no attempt is used: a message posted to POST /v1/messages as it is stored (it is never queued); one from another way in (3PL lines, uploads, entity rows) when the delivery worker first picks up its job; a scheduled integration’s at its tick (held earlier, it would go out before its schedule once enabled); one already queued or retrying at its next attempt. Held deliveries show status `held` on every message view; their message is `pending` (unless another delivery failed: `failed` wins) and GET /admin/messages?status=pending lists it. Workers read the integration at most once a second, so a delivery may still be attempted within a second of the disable.',
        '- POST /admin/integrations/{id}/enable answers 200 at once; the delivery workers then release the held deliveries oldest first, 500 per invocation, each with the attempts it had. parallel=false sends them strictly in arrival order; a parallel integration starts them in that order, up to batchSize at a time. Messages accepted after the enable may go out before held ones not yet released. Deleting a disabled integration ends its held deliveries failed ("The integration was deleted.").',
        ...FACE_NOTES,
      ].join('\n'),
    },
    components: {
      securitySchemes: {
        admin: { type: 'http', scheme: 'bearer', description: 'The admin key' },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'Also accepted as the `apikey` query parameter',
        },
        basic: { type: 'http', scheme: 'basic', description: '3PL credentials set by the operator' },
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A 3PL access token from GET /v1/generatetoken or POST /oauth2/token (also accepted bare)',
        },
      },
      schemas: Object.fromEntries(
        Object.values(ERRORS).map(({ name, schema }) => [name, jsonSchema(schema, 'output')]),
      ),
    },
    paths,
  };
}

/**
 * Each face answers errors in its own shape: the hub's, the 3PL's (seed 002), the ERP's (seed 003),
 * OData's (seed 004's wire format, core/odata.ts).
 */
const HubErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const ThreeplResponseSchema = z.object({
  ResponseCode: z.int().register(z.globalRegistry, { description: 'The HTTP status' }),
  ResponseMessage: z.string(),
  Errors: z.optional(
    z.array(z.object({ Line: z.optional(z.int()), Field: z.string(), Message: z.string() })),
  ),
  error: z.optional(z.string()),
  error_description: z.optional(z.string()),
});
const ErpErrorSchema = z.object({
  success: z.literal(false),
  error: z.object({ code: z.string(), message: z.string() }),
});

/** The error shape of each face, by the name the document gives it. */
export const ERRORS: Readonly<Record<Face, { name: string; schema: z.ZodMiniType }>> = {
  hub: { name: 'Error', schema: HubErrorSchema },
  threepl: { name: 'ThreeplResponse', schema: ThreeplResponseSchema },
  oauth: { name: 'ThreeplResponse', schema: ThreeplResponseSchema },
  packets: { name: 'ErpError', schema: ErpErrorSchema },
  odata: { name: 'ODataError', schema: ODataErrorSchema },
};

const jsonSchema = (schema: z.ZodMiniType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** The path or query parameters of a route, each with its schema. */
function parametersOf(schema: z.ZodMiniObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

function operation(route: RouteDefinition, operationId: string): Record<string, unknown> {
  const errorRef = { $ref: `#/components/schemas/${ERRORS[faceOf(route)].name}` };
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(answersOf(route))) {
    const doc = typeof answer === 'string' ? { description: answer } : answer;
    const content: Record<string, unknown> = {};
    if (doc.schema) content['application/json'] = { schema: jsonSchema(doc.schema, 'output') };
    else if (doc.contentType) content[doc.contentType] = { schema: {} };
    else if (Number(status) >= 400) content['application/json'] = { schema: errorRef };
    if (doc.alternative) {
      content[doc.alternative.contentType] = { schema: {}, description: doc.alternative.description };
    }
    responses[status] = { description: doc.description, ...(Object.keys(content).length ? { content } : {}) };
  }
  // The hub's own JSON routes (not the 3PL face, whose rule is its 499) refuse other content types.
  if (route.body && (faceOf(route) === 'hub' || faceOf(route) === 'odata')) {
    responses[415] ??= {
      description: 'the body is not sent as JSON (Content-Type application/json or a +json type)',
      content: { 'application/json': { schema: errorRef } },
    };
  }
  const op: Record<string, unknown> = {
    summary: route.summary,
    operationId,
    parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
    responses,
  };
  if (route.auth !== 'none') op.security = [{ [route.auth]: [] }];
  if (route.body) {
    op.requestBody = {
      required: !route.bodyOptional,
      content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
    };
  } else if (route.rawBody) {
    op.requestBody = { required: true, content: { [route.rawBody]: { schema: {} } } };
  }
  return op;
}
