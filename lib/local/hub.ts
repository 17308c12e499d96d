import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { recordsInFlight } from '../../functions/core/delivery-policy.js';
import { sha256Hex } from '../../functions/core/secrets.js';
import {
  type HandlerRef,
  type ResourceUse,
  routes,
  schedules,
  usesOf,
  workers,
} from '../../functions/routes.js';
import type { FunctionKind } from '../function-environment.js';
import {
  deliveryQueue,
  MAX_RECORDS_IN_FLIGHT_ENV,
  orderedDeliveryQueue,
  payloadBucket,
  type QueueDefinition,
  queueSources,
  SETTINGS,
} from '../resources.js';
import { compileRoutes, lambdaContext, matchRoute, toApiGatewayEvent } from './api-gateway.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startEmbeddedAws } from './emulators.js';
import { functionEnvironments, inEnvironment } from './function-environments.js';
import { type SqsHandler, startQueuePoller } from './queue-poller.js';
import { type ObjectCreated, startS3Gateway } from './s3-gateway.js';
import { type ScheduledHandler, startSchedule } from './schedule.js';

export interface HubOptions {
  port?: number;
  /** Where state is kept across restarts; ignored with inMemory. */
  dataDir?: string;
  inMemory?: boolean;
  adminKey?: string;
  /** Concurrent pollers of the delivery queue (a Lambda event source mapping scales out like this). */
  deliveryConcurrency?: number;
  /** How often the dead-letter sweeps run; by default as on AWS (every few minutes). */
  sweepIntervalMs?: number;
  /** Scheduled jobs (functions/routes.ts `schedules`) not to run: a test that walks their clock itself. */
  withoutSchedules?: readonly string[];
  /** Called for each request once it is answered (for the start-up log). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
  /** Called after each handler invocation, HTTP or queue, with its duration. */
  onInvoke?: (functionName: string, ms: number, records: number) => void;
  /** A local endpoint that plays a partner for the demo: POST /_local/demo-receiver. */
  demoReceiver?: (headers: Record<string, string>, body: Buffer, url: URL) => void;
}

export interface RunningHub {
  url: string;
  adminKey: string;
  adminKeySource: 'option' | 'environment' | 'data folder' | 'generated';
  dataDir?: string;
  /** Stops the queue pollers only (benchmarks use the queues directly afterwards). */
  stopWorkers(): Promise<void>;
  /** Starts them again, e.g. to drain what was queued while they were stopped. */
  startWorkers(options?: Pick<HubOptions, 'deliveryConcurrency'>): Promise<void>;
  stop(): Promise<void>;
}

/** API Gateway HTTP APIs take at most 10 MB; the local hub refuses the same. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

/**
 * The local hub: embedded AWS, the very Lambda handlers behind an HTTP server that speaks API
 * Gateway's event format, and queue pollers that behave like event source mappings.
 */
export async function startHub(options: HubOptions = {}): Promise<RunningHub> {
  const dataDir = options.inMemory ? undefined : (options.dataDir ?? '.crossdock');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const { adminKey, source } = resolveAdminKey(options.adminKey, dataDir);
  const aws = await startEmbeddedAws(dataDir);

  const sqs = new SQSClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: aws.fauxqsEndpoint,
  });
  const s3Gateway = await startS3Gateway({
    upstream: aws.fauxqsEndpoint,
    onObjectCreated: (e) => announceObjectCreated(sqs, aws.queueUrls, e),
  });

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 3000, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Everything is also put in process.env for the tests' own use; the handlers see only their own part.
  Object.assign(process.env, aws.env, {
    [SETTINGS.stage]: 'local',
    [SETTINGS.adminKeySha256]: sha256Hex(adminKey),
    [SETTINGS.allowLoopbackOutbound]: 'true',
    [SETTINGS.publicBaseUrl]: url,
    [SETTINGS.presignEndpoint]: s3Gateway.url,
    POWERTOOLS_SERVICE_NAME: 'crossdock',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // CloudWatch metrics (EMF lines) mean nothing on stdout here; POWERTOOLS_METRICS_DISABLED=false shows them.
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
  });

  const environmentOf = functionEnvironments({ ...process.env });
  /** A function's handler, run with exactly the environment the stack gives that function. */
  const load = async (handler: HandlerRef, uses: readonly ResourceUse[], kind: FunctionKind) =>
    inEnvironment((await loadHandler(handler)) as (...args: unknown[]) => unknown, environmentOf(uses, kind));

  const compiled = compileRoutes(routes);
  server.on('request', (req, res) => {
    const started = performance.now();
    serve(req, res, url, compiled, options, load).finally(() => {
      options.onRequest?.({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      });
    });
  });

  /** Runs a handler on a timer, as an EventBridge rule would (scheduled jobs and dead-letter sweeps). */
  const scheduled = async (
    id: string,
    handler: HandlerRef,
    uses: readonly ResourceUse[],
    kind: FunctionKind,
    everyMinutes: number,
    timeoutSeconds: number,
  ) =>
    startSchedule({
      handler: (await load(handler, uses, kind)) as unknown as ScheduledHandler,
      functionName: id,
      everyMs: options.sweepIntervalMs ?? everyMinutes * 60_000,
      timeoutSeconds,
      onError: (e) => console.error(`[${id}] ${(e as Error).message}`),
      ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
    });
  const startPollers = (deliveryConcurrency = options.deliveryConcurrency ?? 4) => {
    // As the stack does for an event source's maxConcurrency: the delivery pollers hold at most this
    // many jobs at once (each waits for its handler before it receives again).
    const deliver = workers.find((w) => w.source === 'deliveryQueue');
    if (deliver) {
      process.env[MAX_RECORDS_IN_FLIGHT_ENV] = String(
        recordsInFlight(deliveryConcurrency, deliver.batchSize),
      );
    }
    return Promise.all([
      ...schedules
        .filter((job) => !options.withoutSchedules?.includes(job.id))
        .map((job) => scheduled(job.id, job.handler, job.uses, 'job', job.everyMinutes, job.timeoutSeconds)),
      ...workers.map(async (w) => {
        const from = queueSources[w.source];
        const queueUrl = aws.queueUrls[from.deadLetter ? from.queue.deadLetter.envVar : from.queue.envVar];
        if (w.sweepEveryMinutes !== undefined) {
          return scheduled(w.id, w.handler, w.uses, 'worker', w.sweepEveryMinutes, w.timeoutSeconds);
        }
        return startQueuePoller({
          sqs,
          queueUrl: queueUrl as string,
          queueArn: `arn:aws:sqs:${LOCAL_REGION}:000000000000:${w.source}`,
          handler: (await load(w.handler, w.uses, 'worker')) as unknown as SqsHandler,
          functionName: w.id,
          timeoutSeconds: w.timeoutSeconds,
          batchSize: w.batchSize,
          concurrency: from.deadLetter ? 1 : isDelivery(from.queue) ? deliveryConcurrency : 2,
          onError: (e) => console.error(`[${w.id}] ${(e as Error).message}`),
          ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
        });
      }),
    ]);
  };
  let pollers = await startPollers();

  return {
    url,
    adminKey,
    adminKeySource: source,
    ...(dataDir ? { dataDir } : {}),
    async stopWorkers() {
      await Promise.all(pollers.map((p) => p.stop()));
      pollers = [];
    },
    async startWorkers(again) {
      if (pollers.length === 0) pollers = await startPollers(again?.deliveryConcurrency);
    },
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      sqs.destroy();
      await s3Gateway.stop();
      await aws.stop();
    },
  };
}

const isDelivery = (q: QueueDefinition) => q === deliveryQueue || q === orderedDeliveryQueue;

/** The S3 → queue bridge: what S3 event notifications would send, since the emulator sends none. */
async function announceObjectCreated(sqs: SQSClient, queueUrls: Record<string, string>, e: ObjectCreated) {
  for (const n of payloadBucket.notifications.filter((n) => e.key.startsWith(n.prefix))) {
    const record = {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: LOCAL_REGION,
      eventTime: new Date().toISOString(),
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: e.bucket },
        object: { key: encodeURIComponent(e.key), size: e.size, eTag: e.eTag },
      },
    };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrls[n.queue.envVar],
        MessageBody: JSON.stringify({ Records: [record] }),
      }),
    );
  }
}

type HttpFunction = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
const loaded = new Map<string, unknown>();

async function loadHandler(ref: HandlerRef): Promise<unknown> {
  const id = `${ref.file}#${ref.export}`;
  if (!loaded.has(id)) {
    const mod = (await import(new URL(`../../functions/${ref.file}`, import.meta.url).href)) as Record<
      string,
      unknown
    >;
    if (typeof mod[ref.export] !== 'function')
      throw new Error(`functions/${ref.file} does not export ${ref.export}`);
    loaded.set(id, mod[ref.export]);
  }
  return loaded.get(id);
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  base: string,
  compiled: ReturnType<typeof compileRoutes>,
  options: HubOptions,
  load: (handler: HandlerRef, uses: readonly ResourceUse[], kind: 'route') => Promise<unknown>,
): Promise<void> {
  try {
    const url = new URL(req.url ?? '/', base);
    const body = await readBody(req, GATEWAY_MAX_BODY);
    if (body === 'too-large') return send(res, 413, { message: 'Request Entity Too Large' });
    if (url.pathname === '/_local/demo-receiver' && req.method === 'POST' && options.demoReceiver) {
      options.demoReceiver(req.headers as Record<string, string>, body, url);
      return send(res, 200, { received: true });
    }
    const match = matchRoute(compiled, req.method ?? 'GET', url.pathname);
    if (match === undefined)
      return send(res, 404, { error: { code: 'not_found', message: 'No such route.' } });
    // API Gateway's own answers carry its `{"message"}` shape, as the 413 above does.
    if (match === 'bad-request') return send(res, 400, { message: 'Bad Request' });
    if (match === 'method-not-allowed') {
      return send(res, 405, {
        error: { code: 'method_not_allowed', message: 'This route does not take that method.' },
      });
    }
    const fn = (await load(match.route.handler, usesOf(match.route), 'route')) as HttpFunction;
    const event = toApiGatewayEvent(req, url, body, match.route, match.params);
    const invoked = performance.now();
    const result = await fn(event, lambdaContext(match.route.handler.export));
    options.onInvoke?.(match.route.handler.export, performance.now() - invoked, 1);
    res.statusCode = result.statusCode ?? 200;
    for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, String(v));
    res.end(result.body ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : undefined);
  } catch (e) {
    console.error(`local hub: ${(e as Error).stack ?? e}`);
    send(res, 500, {
      error: { code: 'internal_error', message: 'Something went wrong on our side; retry later.' },
    });
  }
}

function send(res: ServerResponse, status: number, json: unknown) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(json));
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function resolveAdminKey(
  given: string | undefined,
  dataDir: string | undefined,
): { adminKey: string; source: RunningHub['adminKeySource'] } {
  if (given) return { adminKey: given, source: 'option' };
  if (process.env.CROSSDOCK_ADMIN_KEY)
    return { adminKey: process.env.CROSSDOCK_ADMIN_KEY, source: 'environment' };
  const file = dataDir ? join(dataDir, 'admin-key') : undefined;
  if (file && existsSync(file)) return { adminKey: readFileSync(file, 'utf8').trim(), source: 'data folder' };
  const adminKey = `cda_${randomBytes(24).toString('base64url')}`;
  if (file) writeFileSync(file, `${adminKey}\n`, { mode: 0o600 });
  return { adminKey, source: 'generated' };
}
