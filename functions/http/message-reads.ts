import { messages, payloads, registry } from '../deps.js';
import * as route from '../routes/message-reads.js';
import { readMessage, readPayload } from '../usecases/message-reads.js';
import { answer, edge } from './edge.js';
import { refusalRecorder } from './refusals.js';

/** A message's partners (its sender and receiver) read its status and its document. */

const ports = () => ({ keys: registry(), refusals: refusalRecorder(), messages: messages() });
// Only the payload route is bound to the bucket (its function alone has PAYLOAD_BUCKET).
const payloadPorts = () => ({ ...ports(), payloads: payloads() });

export const getMessage = edge(route.getMessage, ports, ({ params, caller }, p) =>
  readMessage(p, caller.partnerCode, params.id),
);

/**
 * A partner's document goes back with the type its sender gave, so a browser must not guess another
 * (an HTML or SVG document run as a page): every answer of the payload route says nosniff.
 */
const NO_SNIFF = { 'x-content-type-options': 'nosniff' } as const;

export const getPayload = edge(route.getPayload, payloadPorts, async ({ params, caller }, p) => {
  const document = await readPayload(p, caller.partnerCode, params.id);
  if ('redirect' in document)
    return answer({ status: 307, headers: { ...NO_SNIFF, location: document.redirect } });
  return answer({
    status: 200,
    headers: NO_SNIFF,
    raw: { body: document.body, contentType: document.contentType },
  });
});
