import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type {
  OutboundAnswer,
  OutboundFailure,
  OutboundFailureReason,
  OutboundRequest,
  OutboundResult,
} from '../core/outbound.js';
import { isAllowedAddress } from '../core/outbound-url.js';

export type { OutboundRequest, OutboundResult } from '../core/outbound.js';

export const CONNECT_TIMEOUT_MS = 3000;
export const RESPONSE_CAP_BYTES = 64 * 1024;

/**
 * Connections to partners are kept open between deliveries: a batch to one partner pays for one TCP
 * and TLS handshake, not ten. Only sockets that passed the address check at connect time are pooled,
 * and an idle one is closed after two seconds, before a partner's own keep-alive timeout (often five)
 * or a frozen Lambda could leave it half-dead.
 */
const agentOptions = { keepAlive: true, timeout: 2000, maxSockets: 64 };
/** Separate pools by whether loopback is allowed, so a socket checked under one rule never serves the other. */
const pools = new Map<boolean, { 'http:': http.Agent; 'https:': https.Agent }>();
const poolFor = (allowLoopback: boolean) => {
  let pool = pools.get(allowLoopback);
  if (!pool) {
    pool = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };
    pools.set(allowLoopback, pool);
  }
  return pool;
};

/** Errors that mean a pooled socket had been closed by the partner before it was reused. */
const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);

/** Errors that mean no connection could be made. */
const CONNECT_FAILED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
]);

/** Raised by the guarded lookup when every address of a host is one the hub never calls. */
const BLOCKED = 'EBLOCKED';

/**
 * POSTs to a partner. The address is checked when it is resolved, right before connecting, so a DNS
 * answer that changed since registration (rebinding) cannot reach a private address. Redirects are
 * never followed; the response is read up to a cap; connect and total time are bounded. What the
 * network or the partner does comes back typed (answered, or failed with its reason); only a request
 * Node refuses to build (a header it will not send) throws.
 */
export async function postOutbound(req: OutboundRequest, allowLoopback: boolean): Promise<OutboundResult> {
  const started = performance.now();
  const first = await postOnce(req, allowLoopback, true);
  // A pooled socket the partner had closed: once more on a new connection, within what is left of the
  // attempt's time. The partner may have read the first send before it reset, so it can see the
  // request twice, with the same webhook-id (delivery is at least once, as on any retry).
  const left = req.timeoutMs - (performance.now() - started);
  if (first.kind === 'failed' && first.staleSocket && left > 0) {
    const again = await postOnce({ ...req, timeoutMs: left }, allowLoopback, false);
    return { ...withoutStale(again), durationMs: Math.round(performance.now() - started) };
  }
  return withoutStale(first);
}

type Attempted = OutboundAnswer | (OutboundFailure & { staleSocket?: boolean });

function withoutStale(r: Attempted): OutboundResult {
  if (r.kind === 'answered') return r;
  const { staleSocket: _, ...failure } = r;
  return failure;
}

function postOnce(req: OutboundRequest, allowLoopback: boolean, pooled: boolean): Promise<Attempted> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as LookupAddress[];
      const allowed = list.filter((a) => isAllowedAddress(a.address, allowLoopback));
      if (allowed.length === 0) {
        return callback(
          Object.assign(new Error(`${hostname} resolves to a non-public address`), { code: BLOCKED }),
          '',
          4,
        );
      }
      if (options.all) return callback(null, allowed as unknown as string, 4);
      const first = allowed[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };

  return new Promise((resolve) => {
    let settled = false;
    let totalTimer: NodeJS.Timeout | undefined;
    /** Which of the attempt's timers cut it short, if one did. */
    let timedOut: 'connect' | 'total' | undefined;
    const finish = (r: DistributiveOmit<Attempted, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      resolve({ ...r, durationMs: elapsed() });
    };
    const fail = (reason: OutboundFailureReason, message: string, staleSocket?: boolean) =>
      finish({ kind: 'failed', reason, message, ...(staleSocket ? { staleSocket } : {}) });

    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return fail('invalid-url', 'The URL is not valid.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return fail('invalid-url', `The URL's scheme (${url.protocol}) is not http or https.`);
    }
    // Node connects to an IP literal without a lookup, so literals are checked here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !isAllowedAddress(literal, allowLoopback))
      return fail('blocked', `${literal} is not a public address`);
    const client = url.protocol === 'https:' ? https : http;
    let answered = false;
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(req.body.byteLength) },
        lookup: guardedLookup,
        agent: pooled ? poolFor(allowLoopback)[url.protocol === 'https:' ? 'https:' : 'http:'] : false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (size >= RESPONSE_CAP_BYTES) {
            truncated = true;
            res.destroy();
            return;
          }
          const room = RESPONSE_CAP_BYTES - size;
          chunks.push(chunk.subarray(0, room));
          size += Math.min(room, chunk.length);
          if (chunk.length > room) truncated = true;
        });
        const done = () =>
          finish({
            kind: 'answered',
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [
                k,
                Array.isArray(v) ? v.join(', ') : String(v ?? ''),
              ]),
            ),
            body: Buffer.concat(chunks).toString('utf8'),
            truncated,
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const connectTimer = setTimeout(() => {
      timedOut = 'connect';
      request.destroy(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    request.on('socket', (socket) => {
      // A pooled socket is connected already (and was checked when it connected).
      if (request.reusedSocket) return clearTimeout(connectTimer);
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    totalTimer = setTimeout(() => {
      timedOut = 'total';
      request.destroy(new Error(`timed out after ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    request.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      const message = e.message || String(e.code);
      if (request.reusedSocket && !answered && STALE_SOCKET.has(e.code ?? '')) {
        return fail('network', message, true);
      }
      fail(failureReason(e.code, timedOut), message);
    });
    request.on('close', () => clearTimeout(connectTimer));
    request.end(req.body);
  });
}

function failureReason(
  code: string | undefined,
  timedOut: 'connect' | 'total' | undefined,
): OutboundFailureReason {
  if (timedOut === 'total') return 'timeout';
  if (timedOut === 'connect') return 'connect';
  if (code === BLOCKED) return 'blocked';
  return CONNECT_FAILED.has(code ?? '') ? 'connect' : 'network';
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
