import { routes, workers } from '../functions/routes.js';
import { API_ACCESS_LOG_FIELDS } from '../lib/resources.js';

/**
 * Prices, us-east-1, on demand, as published for 2026 (arm64 Lambda). The estimate multiplies them by
 * the work measured per message; capacity units follow from the item sizes the hub writes.
 */
export const PRICES = {
  httpApiRequest: 1.0 / 1e6, // API Gateway HTTP API, first 300 M requests a month
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  dynamoWriteUnit: 0.625 / 1e6, // on-demand write request unit (1 KB)
  dynamoReadUnit: 0.125 / 1e6, // on-demand read request unit (4 KB strongly consistent, 8 KB eventually)
  sqsRequest: 0.4 / 1e6, // standard queue, per 64 KB chunk
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  logsIngestGb: 0.5,
} as const;

/**
 * The API's access log line for one POST /v1/messages, rendered from the stack's own format with the
 * values API Gateway would put in (the emulator writes no access log, so this line is rendered, not
 * captured).
 */
export function accessLogLineBytes(): number {
  const typical: Record<string, string> = {
    '$context.requestId': 'Jx3kRhN8oAMEbQw=',
    '$context.identity.sourceIp': '203.0.113.17',
    '$context.requestTime': '23/Nov/2026:02:00:00 +0000',
    '$context.httpMethod': 'POST',
    '$context.routeKey': 'POST /v1/messages',
    '$context.path': '/v1/messages',
    '$context.status': '202',
    '$context.protocol': 'HTTP/1.1',
    '$context.responseLength': '120',
    '$context.responseLatency': '48',
    '$context.integrationLatency': '45',
    '$context.integrationErrorMessage': '-',
    '$context.identity.userAgent': 'erp-connector/4.2 (+https://erp.example.com)',
  };
  const line = JSON.stringify(
    Object.fromEntries(Object.entries(API_ACCESS_LOG_FIELDS).map(([k, v]) => [k, typical[v] ?? v])),
  );
  return Buffer.byteLength(line) + 1;
}

const memoryOf = (name: string) =>
  routes.find((r) => r.handler.export === name)?.memoryMb ??
  workers.find((w) => w.id === name)?.memoryMb ??
  256;

/** What was measured per delivered message (bench/deliver.ts). */
export interface MeasuredWork {
  /** AWS calls by service and command, and DynamoDB's reported capacity units. */
  perMessage: Record<string, number>;
  /** Handler milliseconds by function. */
  lambdaMsPerMessage: Record<string, number>;
  /** Invocations by function (HTTP requests and queue batches). */
  invocationsPerMessage: Record<string, number>;
  /** Bytes of the handlers' log lines at INFO. */
  logBytesPerMessage: number;
}

export function costPerMillion(work: MeasuredWork) {
  const million = 1e6;
  let wru = 0;
  let rru = 0;
  let sqs = 0;
  let s3 = 0;
  for (const [call, n] of Object.entries(work.perMessage)) {
    // Capacity as DynamoDB reported it for each call (ReturnConsumedCapacity), not estimated.
    if (call === 'DynamoDB.WRU') wru += n;
    else if (call === 'DynamoDB.RRU') rru += n;
    else if (call.startsWith('SQS.')) sqs += n;
    else if (call === 'S3.PutObject') s3 += n * PRICES.s3Put;
    else if (call === 'S3.GetObject') s3 += n * PRICES.s3Get;
  }
  const gbSeconds = Object.entries(work.lambdaMsPerMessage).reduce(
    (sum, [name, ms]) => sum + (ms / 1000) * (memoryOf(name) / 1024),
    0,
  );
  const invocations = Object.values(work.invocationsPerMessage).reduce((a, b) => a + b, 0);
  // The event source mapping's own SQS calls (not made by handlers, so not counted above): a receive
  // and a delete per queue batch, i.e. per worker invocation. Its empty long polls are a fixed cost
  // per queue, not per message, and left out.
  const workerInvocations = Object.entries(work.invocationsPerMessage)
    .filter(([name]) => workers.some((w) => w.id === name))
    .reduce((a, [, n]) => a + n, 0);
  sqs += 2 * workerInvocations;
  const accessLog = accessLogLineBytes();
  const items: [string, number][] = [
    ['API Gateway HTTP API (1 request)', PRICES.httpApiRequest],
    [`Lambda requests (${invocations.toFixed(2)})`, invocations * PRICES.lambdaRequest],
    [
      `Lambda compute (${(gbSeconds * 1000).toFixed(1)} GB-ms, measured handler time)`,
      gbSeconds * PRICES.lambdaGbSecondArm,
    ],
    [`DynamoDB writes (${wru.toFixed(2)} WRU)`, wru * PRICES.dynamoWriteUnit],
    [`DynamoDB reads (${rru.toFixed(2)} RRU)`, rru * PRICES.dynamoReadUnit],
    [`SQS (${sqs.toFixed(2)} requests, incl. the event source's receive/delete)`, sqs * PRICES.sqsRequest],
    ['S3 (documents ≤ 4 KB stay in DynamoDB)', s3],
    [
      `CloudWatch Logs (${accessLog} B access log, ${work.logBytesPerMessage.toFixed(0)} B handler logs)`,
      ((accessLog + work.logBytesPerMessage) / 1e9) * PRICES.logsIngestGb,
    ],
  ];
  const total = items.reduce((sum, [, usd]) => sum + usd * million, 0);
  return { total, lines: items.map(([what, usd]) => `${what.padEnd(64)} $${(usd * million).toFixed(2)}`) };
}
