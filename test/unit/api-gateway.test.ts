import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { routes } from '../../functions/routes.js';
import {
  compileRoutes,
  isDeliveredAsText,
  matchRoute,
  toApiGatewayEvent,
} from '../../lib/local/api-gateway.js';

/** The event the local gateway builds for one POST /v1/messages with this Content-Type and body. */
function eventFor(contentType: string | undefined, body: Buffer) {
  const req = {
    method: 'POST',
    httpVersion: '1.1',
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const route = routes.find((r) => r.path === '/v1/messages' && r.method === 'POST');
  if (!route) throw new Error('no POST /v1/messages route');
  return toApiGatewayEvent(req, new URL('http://127.0.0.1/v1/messages'), body, route, {});
}

describe('the local API Gateway (HTTP API, payload format 2.0)', () => {
  it('passes text types as a string and everything else base64, as an HTTP API does', () => {
    const text = [
      'text/plain',
      'text/csv',
      'TEXT/XML',
      'application/json',
      'application/json; charset=utf-8',
      'application/xml;charset="UTF-8"',
      'application/javascript',
    ];
    const binary = [
      undefined,
      '',
      'application/octet-stream',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml; charset=iso-8859-1',
      'text/plain; charset=windows-1252',
      'application/json; charset=utf8',
      'application/merge-patch+json',
      'image/png',
    ];
    for (const t of text) expect(isDeliveredAsText(t), t).toBe(true);
    for (const t of binary) expect(isDeliveredAsText(t), String(t)).toBe(false);
  });

  it('hands over the bytes of a binary body exactly, and a text body as text', () => {
    const latin1 = Buffer.from('<o>Müller</o>', 'latin1');
    const binary = eventFor('application/xml; charset=iso-8859-1', latin1);
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body ?? '', 'base64').equals(latin1)).toBe(true);
    const text = eventFor('application/json', Buffer.from('{"name":"Müller"}'));
    expect(text).toMatchObject({ isBase64Encoded: false, body: '{"name":"Müller"}' });
    // What a text body cannot carry: bytes that are not UTF-8 arrive as U+FFFD.
    const lossy = eventFor('text/plain', latin1);
    expect(lossy).toMatchObject({ isBase64Encoded: false, body: '<o>M\uFFFDller</o>' });
  });

  it('refuses a path whose %-escapes do not decode instead of failing on it', () => {
    const compiled = compileRoutes(routes);
    for (const path of ['/v1/messages/%ff%fe', '/v1/messages/%zz', '/v1/messages/%', '/v1/messages/%c3%28']) {
      expect(matchRoute(compiled, 'GET', path), path).toBe('bad-request');
    }
    expect(matchRoute(compiled, 'GET', '/v1/messages/msg%5F1')).toMatchObject({ params: { id: 'msg_1' } });
  });
});
