import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

export type Responder = (req: ReceivedRequest, res: ServerResponse) => unknown;

/** A real HTTP server that plays a partner: it records every request and answers as it is told. */
export async function startPartner(respond: Responder = (_r, res) => res.end('ok')) {
  const received: ReceivedRequest[] = [];
  let responder = respond;
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r: ReceivedRequest = {
      method: req.method ?? '',
      url: new URL(req.url ?? '/', 'http://partner'),
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(chunks),
    };
    received.push(r);
    try {
      await responder(r, res);
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/inbound`,
    port,
    received,
    respondWith(r: Responder) {
      responder = r;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port with nothing listening on it: a partner that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
