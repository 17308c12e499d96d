import { systemClock } from '../core/clock.js';
import { notFound } from '../core/errors.js';
import { deps } from '../deps.js';
import { acceptMessage, MAX_MESSAGE_BYTES } from '../usecases/accept-message.js';
import { messageView } from '../usecases/message-view.js';
import { apiKeyOf, authenticateKey } from './auth.js';
import { type HubRequest, httpHandler } from './middleware.js';

export const postMessage = httpHandler(
  async (req) => {
    const key = await authenticateKey(apiKeyOf(req), 'messages');
    const { replay, message } = await acceptMessage(
      {
        registry: deps.registry(),
        messages: deps.messages(),
        payloads: deps.payloads(),
        queue: deps.deliveryQueue(),
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

/** A message the key's partner sent or receives; anyone else's is indistinguishable from a missing one. */
async function ownMessage(req: HubRequest) {
  const key = await authenticateKey(apiKeyOf(req), 'messages');
  const id = req.pathParameters.id ?? '';
  const record = await deps.messages().getRecord(id);
  const m = record?.message;
  if (!record || !m || (m.sender !== key.partnerCode && m.receiver !== key.partnerCode))
    throw notFound(`Message ${id}`);
  return record;
}

export const getMessage = httpHandler(async (req) => ({
  status: 200,
  json: messageView(await ownMessage(req)),
}));

export const getPayload = httpHandler(async (req) => {
  const { message } = await ownMessage(req);
  const body = message.inlinePayload ?? (await deps.payloads().get(message.payloadKey ?? ''));
  return { status: 200, raw: { body, contentType: message.contentType } };
});
