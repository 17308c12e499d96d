import { systemClock } from '../core/clock.js';
import { deliveryQueue, messages, payloads, registry } from '../deps.js';
import { acceptMessage, MAX_MESSAGE_BYTES } from '../usecases/accept-message.js';
import { apiKeyOf, authenticateKey } from './auth.js';
import { httpHandler } from './middleware.js';

export const postMessage = httpHandler(
  async (req) => {
    const key = await authenticateKey(apiKeyOf(req), 'messages');
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
        sender: req.query.sender,
        receiver: req.query.receiver,
        doctype: req.query.doctype,
        version: req.query.version,
        body: req.body,
        contentType: req.headers['content-type'] || 'application/octet-stream',
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
