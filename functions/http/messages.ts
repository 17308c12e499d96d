import { systemClock } from '../core/clock.js';
import { deliveryQueue, enablements, messages, payloads, registry } from '../deps.js';
import * as route from '../routes/messages.js';
import { acceptMessage } from '../usecases/accept-message.js';
import { answer, edge } from './edge.js';
import { formAsQuery } from './form.js';
import { refusalRecorder } from './refusals.js';

/**
 * POST /v1/messages (seed 000): the body is the document and the parameters are in the query, or
 * both come as a form (urlencoded or multipart, document in `payload`); query parameters win.
 */
export const postMessage = edge(
  route.postMessage,
  () => ({
    keys: registry(),
    refusals: refusalRecorder(),
    registry: registry(),
    enablements: enablements(),
    messages: messages(),
    payloads: payloads(),
    queue: deliveryQueue(),
    clock: systemClock,
  }),
  async ({ query, body, caller, request }, p) => {
    const { replay, message } = await acceptMessage(p, caller, {
      sender: query.sender,
      receiver: query.receiver,
      doctype: query.doctype,
      version: query.version,
      body,
      contentType: request.headers['content-type'] || 'application/octet-stream',
      idempotencyKey: request.headers['idempotency-key'],
    });
    return answer({ status: replay ? 200 : 202, json: message });
  },
  { prepare: formAsQuery },
);
