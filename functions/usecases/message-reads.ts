import type { MessageRepository } from '../adapters/messages.js';
import type { PayloadStore } from '../adapters/payloads.js';
import { notFound } from '../core/errors.js';
import { decodeInline } from '../core/inline-payload.js';
import { messageView } from './message-view.js';

/** What a message's partners read of it: its status and deliveries, and the document. */

export interface MessageReadPorts {
  messages: Pick<MessageRepository, 'getRecord'>;
  payloads: Pick<PayloadStore, 'get' | 'presignGet'>;
}

/** Lambda answers at most 6 MB, base64 included: larger documents are fetched from S3 directly. */
export const PAYLOAD_REDIRECT_BYTES = 4 * 1024 * 1024;
/** How long a payload's redirect URL is valid. */
export const PAYLOAD_URL_SECONDS = 900;

/** A message the partner sent or receives; anyone else's is indistinguishable from a missing one. */
async function ownRecord(ports: Pick<MessageReadPorts, 'messages'>, partnerCode: string, id: string) {
  const record = await ports.messages.getRecord(id);
  const m = record?.message;
  if (!record || !m || (m.sender !== partnerCode && m.receiver !== partnerCode))
    throw notFound(`Message ${id}`);
  return record;
}

export async function readMessage(
  ports: Pick<MessageReadPorts, 'messages'>,
  partnerCode: string,
  id: string,
) {
  return messageView(await ownRecord(ports, partnerCode, id));
}

/** The document with its content type, or (over PAYLOAD_REDIRECT_BYTES, in S3) a presigned URL to it. */
export async function readPayload(
  ports: MessageReadPorts,
  partnerCode: string,
  id: string,
): Promise<{ redirect: string } | { body: Uint8Array; contentType: string }> {
  const { message } = await ownRecord(ports, partnerCode, id);
  return documentOf(ports, message);
}

/** The operator's read of any message's document (GET /admin/messages/{id}/payload), as readPayload. */
export async function readPayloadAsOperator(
  ports: MessageReadPorts,
  id: string,
): Promise<{ redirect: string } | { body: Uint8Array; contentType: string }> {
  const message = (await ports.messages.getRecord(id))?.message;
  if (!message) throw notFound(`Message ${id}`);
  return documentOf(ports, message);
}

async function documentOf(
  ports: Pick<MessageReadPorts, 'payloads'>,
  message: NonNullable<Awaited<ReturnType<MessageReadPorts['messages']['getRecord']>>>['message'],
): Promise<{ redirect: string } | { body: Uint8Array; contentType: string }> {
  if (message.payloadKey && message.size > PAYLOAD_REDIRECT_BYTES) {
    return { redirect: await ports.payloads.presignGet(message.payloadKey, PAYLOAD_URL_SECONDS) };
  }
  const body = message.inline
    ? decodeInline(message.inline)
    : await ports.payloads.get(message.payloadKey ?? '');
  return { body, contentType: message.contentType };
}
