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

/** Lambda answers at most 6 MB, base64 included: larger documents are fetched from S3 directly. */
export const PAYLOAD_REDIRECT_BYTES = 4 * 1024 * 1024;

/**
 * A partner's document goes back with the type its sender gave, so a browser must not guess another
 * (an HTML or SVG document run as a page): every answer of the payload route says nosniff.
 */
const NO_SNIFF = { 'x-content-type-options': 'nosniff' } as const;

export const getPayload = httpHandler(async (req) => {
  const { message } = await ownMessage(req);
  if (message.payloadKey && message.size > PAYLOAD_REDIRECT_BYTES) {
    return {
      status: 307,
      headers: { ...NO_SNIFF, location: await payloads().presignGet(message.payloadKey, 900) },
    };
  }
  const body = message.inline ? decodeInline(message.inline) : await payloads().get(message.payloadKey ?? '');
  return { status: 200, headers: NO_SNIFF, raw: { body, contentType: message.contentType } };
});
