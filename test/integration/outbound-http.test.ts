import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type OutboundResult, postOutbound } from '../../functions/adapters/outbound-http.js';
import { closedPort } from '../support/partner-server.js';

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok';

/** Pooled connections to partners: reused, retried once when stale, never cut short by the connect timer. */
describe('outbound HTTP connections', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const close of closers.splice(0)) close();
  });
  const post = (url: string, timeoutMs = 5000, allowLoopback = true) =>
    postOutbound({ url, headers: {}, body: Buffer.from('{"n":1}'), timeoutMs }, allowLoopback);
  const statusOf = (r: OutboundResult) => (r.kind === 'answered' ? r.status : undefined);

  /** A partner speaking raw HTTP/1.1, answering each request on a connection as `answer` decides. */
  async function rawPartner(answer: (connection: number, request: number, socket: Socket) => void) {
    let connections = 0;
    let requests = 0;
    const server = createServer((socket) => {
      const connection = ++connections;
      let onThis = 0;
      socket.on('data', (chunk) => {
        // Each test request is one small chunk ending with its 7-byte body.
        if (!chunk.toString().endsWith('{"n":1}')) return;
        requests++;
        answer(connection, ++onThis, socket);
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
      counts: () => ({ connections, requests }),
    };
  }

  it('sends a partner’s deliveries over one kept-alive connection', async () => {
    const partner = await rawPartner((_c, _r, socket) => socket.write(OK));
    for (let i = 0; i < 3; i++) expect(statusOf(await post(partner.url))).toBe(200);
    expect(partner.counts()).toEqual({ connections: 1, requests: 3 });
  });

  it('sends again on a new connection when a pooled one turns out closed, and only then', async () => {
    // The partner resets its first connection on the second request there, unanswered.
    const partner = await rawPartner((connection, request, socket) => {
      if (connection === 1 && request === 2) socket.resetAndDestroy();
      else socket.write(OK);
    });
    expect(statusOf(await post(partner.url))).toBe(200);
    const second = await post(partner.url);
    expect(statusOf(second)).toBe(200);
    expect(second.kind).toBe('answered');
    expect(partner.counts()).toEqual({ connections: 2, requests: 3 });
  });

  it('does not resend when a partner resets a fresh connection: that is a failed attempt', async () => {
    const partner = await rawPartner((_c, _r, socket) => socket.resetAndDestroy());
    const r = await post(partner.url);
    expect(r).toMatchObject({ kind: 'failed', reason: 'network' });
    expect(r.kind === 'failed' && r.message).toMatch(/ECONNRESET|socket hang up/);
    expect(partner.counts()).toEqual({ connections: 1, requests: 1 });
  });

  it('lets a slow answer on a reused connection run past the connect timeout, up to timeoutMs', async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('late'), req.headers['x-slow'] ? 3500 : 0));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
    expect(statusOf(await post(url))).toBe(200);
    const slow = await postOutbound(
      { url, headers: { 'x-slow': '1' }, body: Buffer.from('{"n":1}'), timeoutMs: 10_000 },
      true,
    );
    expect(slow).toMatchObject({ kind: 'answered', status: 200, body: 'late' });
  });

  it('says by type why no answer came: refused connection, timeout, blocked address, invalid URL', async () => {
    expect(await post(`http://127.0.0.1:${await closedPort()}/in`)).toMatchObject({
      kind: 'failed',
      reason: 'connect',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
    const silent = await rawPartner(() => {});
    expect(await post(silent.url, 300)).toMatchObject({
      kind: 'failed',
      reason: 'timeout',
      message: 'timed out after 300 ms',
    });
    // Loopback where it is not allowed: by name (checked at lookup) and as a literal.
    const port = new URL(silent.url).port;
    for (const host of ['localhost', '127.0.0.1']) {
      expect(await post(`http://${host}:${port}/in`, 2000, false)).toMatchObject({
        kind: 'failed',
        reason: 'blocked',
      });
    }
    expect(silent.counts().requests).toBe(1);
    expect(await post('not a url')).toMatchObject({ kind: 'failed', reason: 'invalid-url' });
    expect(await post('ftp://127.0.0.1/in')).toMatchObject({
      kind: 'failed',
      reason: 'invalid-url',
      message: expect.stringMatching(/ftp:/),
    });
  });
});
