import { notFound } from '../core/errors.js';
import { decodeInline } from '../core/inline-payload.js';
import { messages, payloads } from '../deps.js';
import { messageView } from '../usecases/message-view.js';
import { apiKeyOf, authenticateKey } from './auth.js';
import { type HubRequest, httpHandler } from './middleware.js';

/** A message the key's partner sent or receives; anyone else's is indistinguishable from a missing one. */
async function ownMessage(req: HubRequest) {
  const key = await authenticateKey(apiKeyOf(req), 'messages');
  const id = req.pathParameters.id ?? '';
  const record = await messages().getRecord(id);
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
  const body = message.inline ? decodeInline(message.inline) : await payloads().get(message.payloadKey ?? '');
  return { status: 200, raw: { body, contentType: message.contentType } };
});
