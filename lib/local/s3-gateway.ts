import { timingSafeEqual } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators.js';

/** Query parameters the presigner itself writes; everything else in the query was signed as given. */
const AUTH_PARAMS = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

export interface ObjectCreated {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
}

export interface S3GatewayOptions {
  /** Where the objects really live (the embedded S3). */
  upstream: string;
  /** The S3 ObjectCreated notification the emulator does not send. */
  onObjectCreated?: (event: ObjectCreated) => Promise<void>;
  clock?: () => number;
}

/**
 * Stands in front of the embedded S3 for presigned URLs, which the emulator accepts unchecked: a URL
 * that has expired, or whose signature does not match the request (another key, another size, another
 * method), is refused with S3's own 403 error codes. A successful PUT then raises ObjectCreated.
 */
export async function startS3Gateway(
  options: S3GatewayOptions,
): Promise<{ url: string; stop(): Promise<void> }> {
  const presigner = new S3RequestPresigner({
    credentials: LOCAL_CREDENTIALS,
    region: LOCAL_REGION,
    sha256: Hash.bind(null, 'sha256'),
  });
  const now = options.clock ?? Date.now;
  const server = createServer((req, res) => {
    handle(req, res).catch(() => s3Error(res, 500, 'InternalError', 'We encountered an internal error.'));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const params = new Map([...url.searchParams].map(([k, v]) => [k.toLowerCase(), v]));
    const signature = params.get('x-amz-signature');
    const amzDate = params.get('x-amz-date');
    const expires = Number(params.get('x-amz-expires'));
    if (!signature || !amzDate || !Number.isFinite(expires)) {
      return s3Error(res, 403, 'AccessDenied', 'Only presigned requests are accepted here.');
    }
    const signedAt = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    if (Number.isNaN(signedAt) || now() > signedAt + expires * 1000) {
      return s3Error(res, 403, 'AccessDenied', 'Request has expired');
    }
    const signedHeaders = (params.get('x-amz-signedheaders') ?? '').split(';').filter(Boolean);
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) headers[name] = String(req.headers[name] ?? '');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!AUTH_PARAMS.has(k.toLowerCase())) query[k] = v;
    const [hostname, port] = (req.headers.host ?? '').split(':');
    const expected = await presigner.presign(
      new HttpRequest({
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: hostname ?? '',
        ...(port ? { port: Number(port) } : {}),
        path: url.pathname,
        query,
        headers,
      }),
      { signingDate: new Date(signedAt), expiresIn: expires, signableHeaders: new Set(signedHeaders) },
    );
    const want = Buffer.from(String(expected.query?.['X-Amz-Signature'] ?? ''));
    const got = Buffer.from(signature);
    if (want.length !== got.length || !timingSafeEqual(want, got)) {
      return s3Error(
        res,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
    await forward(req, res, url);
  }

  async function forward(req: IncomingMessage, res: ServerResponse, url: URL) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const target = new URL(url.pathname + url.search, options.upstream);
    const contentType = req.headers['content-type'];
    // The emulator parses these types as SQS/SNS requests (a PUT of such a body fails there), while S3
    // stores any body as given: such an upload travels as octet-stream, and gets its type back below.
    const parsedUpstream =
      req.method === 'PUT' && contentType !== undefined && PARSED_TYPES.test(contentType);
    const upstream = await send(target, req.method ?? 'GET', body, {
      ...(contentType ? { 'content-type': parsedUpstream ? 'application/octet-stream' : contentType } : {}),
    });
    if (parsedUpstream && upstream.status === 200) {
      // An in-place copy that replaces the metadata: the object keeps its bytes and takes its real type.
      const restored = await send(new URL(url.pathname, options.upstream), 'PUT', Buffer.alloc(0), {
        'content-type': contentType,
        'x-amz-copy-source': url.pathname,
        'x-amz-metadata-directive': 'REPLACE',
      });
      if (restored.status !== 200) throw new Error(`restoring the content type answered ${restored.status}`);
    }
    if (req.method === 'PUT' && upstream.status === 200 && options.onObjectCreated) {
      const [, bucket = '', ...key] = url.pathname.split('/');
      await options.onObjectCreated({
        bucket,
        key: decodeURIComponent(key.join('/')),
        size: body.length,
        eTag: String(upstream.headers.etag ?? '').replace(/"/g, ''),
      });
    }
    for (const h of ['content-type', 'content-length', 'etag', 'last-modified']) {
      if (upstream.headers[h]) res.setHeader(h, upstream.headers[h]);
    }
    res.writeHead(upstream.status).end(upstream.body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function s3Error(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
}

/** Request content types the emulator parses itself (its SNS and SQS protocols) instead of storing them. */
const PARSED_TYPES = /^\s*application\/(x-www-form-urlencoded|x-amz-json-1\.[01])\s*(;|$)/i;

/** One request to the emulator, its whole answer buffered. */
function send(
  target: URL,
  method: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(
      target,
      { method, headers: { ...headers, 'content-length': String(body.length) } },
      async (up) => {
        try {
          const parts: Buffer[] = [];
          for await (const c of up) parts.push(c as Buffer);
          resolve({
            status: up.statusCode ?? 502,
            headers: up.headers as Record<string, string>,
            body: Buffer.concat(parts),
          });
        } catch (e) {
          reject(e);
        }
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}
