import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type RunningHub, startHub } from '../../lib/local/hub.js';
import { messagesTable } from '../../lib/resources.js';
import { checkAnswer } from './answers.js';
import { startPartner } from './partner-server.js';

export interface TestHub extends RunningHub {
  admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: any; headers: Headers; raw: Buffer }>;
  partner(
    method: string,
    path: string,
    key: string | undefined,
    init?: { body?: RequestInit['body']; headers?: Record<string, string> },
  ): Promise<{ status: number; json: any; headers: Headers; raw: Buffer }>;
  /** Counts stored messages (a test-only Scan of the embedded table). */
  storedMessageCount(): Promise<number>;
}

/**
 * Starts an in-memory hub on a free port for one test file. `deliveryConcurrency` is the number of
 * delivery pollers, the local stand-in for Lambda scaling out the event source mapping.
 */
export async function startTestHub(
  options: { deliveryConcurrency?: number; withoutSchedules?: readonly string[] } = {},
): Promise<TestHub> {
  const hub = await startHub({
    ...(options.withoutSchedules ? { withoutSchedules: options.withoutSchedules } : {}),
    port: 0,
    inMemory: true,
    adminKey: 'test-admin-key',
    deliveryConcurrency: options.deliveryConcurrency ?? 2,
    // The dead-letter sweep runs every few minutes on AWS; tests do not wait that long.
    sweepIntervalMs: 300,
  });
  const dynamo = new DynamoDBClient({});
  const request = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: RequestInit['body'],
  ) => {
    const r = await fetch(`${hub.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const raw = Buffer.from(await r.arrayBuffer());
    let json: unknown;
    try {
      json = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      json = undefined;
    }
    checkAnswer(method, path, r.status, r.headers.get('content-type'), json);
    return { status: r.status, json, headers: r.headers, raw };
  };
  return {
    ...hub,
    admin: (method, path, body) =>
      request(
        method,
        path,
        { authorization: `Bearer ${hub.adminKey}`, 'content-type': 'application/json' },
        body === undefined ? undefined : JSON.stringify(body),
      ),
    partner: (method, path, key, init = {}) =>
      request(method, path, { ...(key ? { 'x-api-key': key } : {}), ...init.headers }, init.body),
    async storedMessageCount() {
      const r = await dynamo.send(
        new ScanCommand({
          TableName: process.env[messagesTable.envVar],
          FilterExpression: 'sk = :m',
          ExpressionAttributeValues: { ':m': { S: 'MSG' } },
        }),
      );
      return r.Count ?? 0;
    },
    async stop() {
      dynamo.destroy();
      await hub.stop();
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const outboundIntegration = (
  name: string,
  receiver: string,
  url: string,
  extra: Record<string, unknown> = {},
) => ({
  name,
  direction: 'Outbound',
  entity: 'order',
  consentType: 'None',
  receiver,
  ...extra,
  delivery: { mode: 'push', url, format: 'raw', ...((extra.delivery as object) ?? {}) },
});

/**
 * The usual fixture of a test file: a hub, a partner server, partners erp and wms, a key for erp and
 * an integration pushing erp's orders to the partner server. Returns what the tests use.
 */
export async function startHubWithErpToWms(integrationName: string) {
  const hub = await startTestHub();
  const partner = await startPartner();
  for (const code of ['erp', 'wms']) await hub.admin('POST', '/admin/partners', { code, name: code });
  const key = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key as string;
  await hub.admin('POST', '/admin/integrations', outboundIntegration(integrationName, 'wms', partner.url));
  return {
    hub,
    partner,
    key,
    async stop() {
      await partner.stop();
      await hub.stop();
    },
  };
}
