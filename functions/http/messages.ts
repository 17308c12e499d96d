import { systemClock } from '../core/clock.js';
import { deliveryQueue, messages, payloads, registry } from '../deps.js';
import { acceptMessage, MAX_MESSAGE_BYTES } from '../usecases/accept-message.js';
import { apiKeyOf, authenticateKey } from './auth.js';
import { readFormPost } from './form.js';
import { httpHandler } from './middleware.js';

/**
 * POST /v1/messages (seed 000): the body is the document and the parameters are in the query, or
 * both come as a form (urlencoded or multipart, document in `payload`); query parameters win.
 */
export const postMessage = httpHandler(
  async (req) => {
    const contentType = req.headers['content-type'] || 'application/octet-stream';
    const form = await readFormPost(contentType, req.body);
    const params = { ...form?.fields, ...req.query };
    const key = await authenticateKey(apiKeyOf(req, params), 'messages');
    const { replay, message } = await acceptMessage(
      {
        registry: registry(),
        messages: messages(),
        payloads: payloads(),
        queue: deliveryQueue(),
        clock: systemClock,
      },
      key,
      {
        sender: params.sender,
        receiver: params.receiver,
        doctype: params.doctype,
        version: params.version,
        body: form ? (form.payload?.body ?? Buffer.alloc(0)) : req.body,
        contentType: form ? (form.payload?.contentType ?? 'application/octet-stream') : contentType,
        idempotencyKey: req.headers['idempotency-key'],
      },
    );
    return { status: replay ? 200 : 202, json: message };
  },
  {
    maxBodyBytes: MAX_MESSAGE_BYTES,
    bodyTooLargeHint: 'Send larger documents with POST /v1/messages/uploads.',
  },
);
