import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod/mini';
import { HubError } from '../core/errors.js';
import { parseValue } from '../core/parse.js';
import type { ApiKeyRecord } from '../core/partners.js';
import { namedPartners, type RefusedRequest } from '../core/refusals.js';
import type { BasicCredentials, TokenRecord } from '../core/tokens.js';
import type { RouteDefinition } from '../route-types.js';
import { type AdminKeyPort, HUB, type KeyLookup } from './faces/hub.js';
import type { TokenLookup } from './faces/threepl.js';
import type { HubRequest, HubResponse } from './middleware.js';
import { httpHandler, logger } from './middleware.js';
import { parseJsonBody } from './validation.js';

/**
 * THE edge wrapper: one per route, built from the route's declaration. Before the handler runs it
 * caps the body, checks the caller its auth kind (and scope) names, in its face's way, and parses
 * the path, the query and the body with its schemas; errors are answered in its face's shape. The
 * handler gets typed input and its ports and calls one use case. What it returns is the JSON body of
 * the route's one declared success (nothing: no body), unless it shapes the answer itself (answer()).
 */

const ANSWER = Symbol('answer');

/** An answer the handler shapes itself: one of several successes, headers, a body that is not JSON. */
export const answer = (res: HubResponse): HubResponse => Object.assign(res, { [ANSWER]: true });
const isAnswer = (v: unknown): v is HubResponse => typeof v === 'object' && v !== null && ANSWER in v;

type Parsed<R, K extends 'params' | 'query' | 'body', Else> = R extends {
  [P in K]: infer S extends z.ZodMiniType;
}
  ? z.output<S>
  : Else;

/**
 * Who called: nobody known (`none`, and the operator: `admin`), the partner key (messages API), the
 * app area (ERP), the area and user (device), the Basic credentials presented, the 3PL's token.
 */
export type CallerOf<R> = R extends { auth: 'apiKey'; scope: 'erp' }
  ? { appArea: string }
  : R extends { auth: 'apiKey'; scope: 'device' }
    ? { appArea: string; mobileUser: string }
    : R extends { auth: 'apiKey' }
      ? ApiKeyRecord
      : R extends { auth: 'bearerToken' }
        ? TokenRecord
        : R extends { auth: 'basic' }
          ? BasicCredentials | undefined
          : undefined;

/** Where a partner's refused requests are kept (usecases/refusals.ts recordRefusal). */
export interface RefusalPort {
  record(refused: RefusedRequest, requestId: string): Promise<void>;
}

/**
 * The adapters checking the route's callers needs; a handler's ports include them. The routes that
 * partners call (keys, 3PL tokens) also keep what they refuse (`refusals`).
 */
export type AuthPortsOf<R> = R extends { auth: 'admin' }
  ? { adminKey: AdminKeyPort }
  : R extends { auth: 'apiKey' }
    ? { keys: KeyLookup; refusals: RefusalPort }
    : R extends { auth: 'bearerToken' }
      ? TokenLookup & { refusals: RefusalPort }
      : object;

export interface EdgeInput<R extends RouteDefinition, B> {
  params: Parsed<R, 'params', Record<never, never>>;
  query: Parsed<R, 'query', Record<never, never>>;
  /** The route's JSON body, parsed; what `readBody` read; else the raw bytes. */
  body: B;
  caller: CallerOf<R>;
  /** The request the route reads (headers in lower case, the body's bytes, the caller's address). */
  request: HubRequest;
}

export interface EdgeHooks<R extends RouteDefinition, B> {
  /** Runs before the caller is checked, e.g. to read a form whose fields stand for the query. */
  prepare?: (req: HubRequest) => Promise<HubRequest>;
  /** Reads a body the route declares raw (`rawBody`), or checks its own way, once the query is parsed. */
  readBody?: (req: HubRequest, input: Pick<EdgeInput<R, never>, 'params' | 'query'>) => B;
}

export function edge<
  const R extends RouteDefinition,
  P extends AuthPortsOf<R>,
  B = Parsed<R, 'body', Buffer>,
>(
  route: R,
  ports: () => P,
  handler: (input: EdgeInput<R, NoInfer<B>>, ports: P) => Promise<unknown>,
  hooks: EdgeHooks<R, B> = {},
) {
  const face = route.face ?? HUB;
  const successes = Object.keys(route.responses)
    .map(Number)
    .filter((s) => s >= 200 && s < 300);
  const success = successes.length === 1 ? successes[0] : undefined;
  /** The partner a request authenticated as, and the code of an error a face answered itself. */
  const tied = new WeakMap<HubRequest, string>();
  const codes = new WeakMap<HubRequest, string>();
  const run = async (received: HubRequest): Promise<HubResponse> => {
    const p = ports();
    face.before?.(route, received);
    const request = hooks.prepare ? await hooks.prepare(received) : received;
    const authenticated = await face.authenticate(route, request, p);
    const partner = (authenticated as { partnerCode?: unknown } | undefined)?.partnerCode;
    if (typeof partner === 'string') tied.set(received, partner);
    const params = route.params ? parseValue(route.params, request.pathParameters, 'path') : {};
    const caller = face.authorize ? face.authorize(route, authenticated, params) : authenticated;
    const query = route.query ? parseValue(route.query, request.query, 'query') : {};
    const input = { params, query } as Pick<EdgeInput<R, B>, 'params' | 'query'>;
    let body: unknown = request.body;
    if (hooks.readBody) body = hooks.readBody(request, input);
    else if (route.body && route.bodyOptional && request.body.length === 0) body = parseValue(route.body, {});
    else if (route.body) body = parseJsonBody(route.body, request, { anyContentType: face.anyContentType });
    const result = await handler({ ...input, body: body as B, caller: caller as CallerOf<R>, request }, p);
    if (isAnswer(result)) return result;
    if (success === undefined)
      throw new Error(`${route.method} ${route.path} has several successes: answer() one.`);
    return result === undefined ? { status: success } : { status: success, json: result };
  };
  const respond = face.respond;
  return httpHandler(
    respond
      ? async (req) => {
          try {
            return await run(req);
          } catch (e) {
            const answer = respond(e as Error, route);
            if (answer && e instanceof HubError) codes.set(req, e.code);
            if (answer) return answer;
            throw e;
          }
        }
      : run,
    {
      errorBody: face.errorBody,
      maxBodyBytes: route.maxBodyBytes ?? face.maxBodyBytes,
      bodyTooLargeHint: route.bodyTooLargeHint ?? face.bodyTooLargeHint ?? '',
      ...(route.auth === 'apiKey' || route.auth === 'bearerToken'
        ? {
            onRefused: (req: HubRequest, status: number, code: string | undefined) =>
              keepRefusal(() => (ports() as { refusals?: RefusalPort }).refusals, req, {
                status,
                code: code ?? codes.get(req) ?? `http_${status}`,
                partner: tied.get(req),
              }),
          }
        : {}),
    },
  );
}

/**
 * Keeps a partner's refused request: what it asked (never its key or headers beyond the user agent)
 * and how it was answered. A failure to keep it is logged; the answer goes out as it is.
 */
async function keepRefusal(
  refusalsOf: () => RefusalPort | undefined,
  req: HubRequest,
  answered: { status: number; code: string; partner: string | undefined },
): Promise<void> {
  try {
    const refusals = refusalsOf();
    if (!refusals) return;
    await refusals.record(
      {
        method: req.method,
        path: req.path,
        status: answered.status,
        code: answered.code,
        userAgent: req.headers['user-agent'],
        partner: answered.partner,
        key: req.headers['x-api-key'] || req.query.apikey || undefined,
        named: namedPartners(req.query, req.pathParameters),
      },
      req.requestId,
    );
  } catch (e) {
    logger.warn('a refused request was not kept', { error: e as Error });
  }
}

type LambdaHttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * One function for several routes of a face, chosen by API Gateway's route key (`GET /odata/{x}`).
 * Each route stays declared, parsed and answered by its own edge wrapper; only the Lambda function is
 * shared. This keeps the stack within CloudFormation's 500 resources (a function costs about seven)
 * and lets routes a client calls together share one warm instance.
 */
export function byRouteKey(
  routes: readonly (readonly [Pick<RouteDefinition, 'method' | 'path'>, LambdaHttpHandler])[],
): LambdaHttpHandler {
  const table = new Map(routes.map(([r, fn]) => [`${r.method} ${r.path}`, fn]));
  return async (event, context) => {
    const fn = table.get(event.routeKey);
    if (!fn) throw new Error(`No handler for route ${event.routeKey} in this function.`);
    return fn(event, context);
  };
}
