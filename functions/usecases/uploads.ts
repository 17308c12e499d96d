import { UPLOAD_PREFIX } from '../../lib/resources.js';
import type { DeliveryQueue } from '../adapters/delivery-queue.js';
import type { MessageRepository } from '../adapters/messages.js';
import type { PayloadStore } from '../adapters/payloads.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { UploadRepository } from '../adapters/uploads.js';
import { type Clock, newId } from '../core/clock.js';
import { HubError } from '../core/errors.js';
import type { StoredIntegration } from '../core/integration.js';
import { isAnotherWrite, type ObjectWrite } from '../core/object-write.js';
import type { ApiKeyRecord } from '../core/partners.js';
import { checkEnvelope, noRoute, type RoutingPorts, routeMessage, storeMessage } from './accept-message.js';

/** The largest document one presigned upload takes. */
// Workers hold a document in memory while they route and deliver it, ten at a time.
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const UPLOAD_URL_SECONDS = 15 * 60;
export const UPLOAD_KEY_PREFIX = UPLOAD_PREFIX;
/** How long one worker holds an upload it is accepting (under the upload queue's visibility timeout). */
const UPLOAD_CLAIM_MS = 120_000;

export interface UploadPorts {
  registry: RegistryRepository;
  enablements: RoutingPorts['enablements'];
  uploads: UploadRepository;
  clock: Clock;
}

/** What an upload announces: the routing parameters of a post, the document's size and type. */
export interface UploadAnnouncement {
  sender?: string | undefined;
  receiver?: string | undefined;
  doctype?: string | undefined;
  version?: string | undefined;
  /** Bytes, 1 to MAX_UPLOAD_BYTES (checked at the edge, as the query's number). */
  size: number;
  contentType: string;
}

/**
 * Announces a large document: checks it as a post would (minus the body and filters), records the
 * upload and hands back a presigned PUT for exactly `size` bytes under a key the hub chose.
 */
export async function startUpload(
  ports: UploadPorts,
  key: ApiKeyRecord,
  a: UploadAnnouncement,
): Promise<{ id: string; uploadUrl: string; expiresAt: string }> {
  const envelope = await checkEnvelope(ports.registry, key, a);
  const { size, contentType } = a;
  if ((await routeMessage(ports, envelope)).length === 0) throw noRoute(envelope);
  const now = ports.clock.now();
  const id = newId('msg', now);
  await ports.uploads.create(
    { id, ...envelope, size, contentType, createdAt: new Date(now).toISOString(), status: 'awaiting' },
    Math.floor(now / 1000) + 86_400,
  );
  const uploadUrl = await ports.uploads.presignPut(
    `${UPLOAD_KEY_PREFIX}${id}`,
    size,
    contentType,
    UPLOAD_URL_SECONDS,
  );
  return { id, uploadUrl, expiresAt: new Date(now + UPLOAD_URL_SECONDS * 1000).toISOString() };
}

export interface LandedPorts {
  registry: RegistryRepository;
  enablements: RoutingPorts['enablements'];
  uploads: UploadRepository;
  messages: MessageRepository;
  payloads: PayloadStore;
  queue: DeliveryQueue;
  clock: Clock;
}

/**
 * A document landed under uploads/: the announced message is accepted now, routed with the
 * integrations (and filters) as they are at this moment. The bytes read here are the message: they are
 * hashed and stored as any posted document is (inline, or under payloads/, which no presigned PUT
 * reaches), so what receivers download is what was accepted. Idempotent: a repeated notification
 * finds the upload finished and does nothing; a notification of another write to the upload key after
 * acceptance (its presigned PUT is valid for 15 minutes) changes nothing and is noted on the message.
 */
export async function acceptLandedUpload(
  ports: LandedPorts,
  key: string,
  size: number,
  write: ObjectWrite = {},
): Promise<'accepted' | 'ignored' | 'failed' | 'overwritten'> {
  if (!key.startsWith(UPLOAD_KEY_PREFIX)) return 'ignored';
  const id = key.slice(UPLOAD_KEY_PREFIX.length);
  const upload = await ports.uploads.get(id);
  if (upload?.status === 'accepted') return noteLaterWrite(ports, id, size, write);
  if (upload?.status !== 'awaiting' && upload?.status !== 'accepting') return 'ignored';
  // One worker at a time: S3 may notify twice, and a retried notification must not store twice.
  if (!(await ports.uploads.claim(id, ports.clock.now(), UPLOAD_CLAIM_MS))) {
    throw new Error(`upload ${id} is being accepted by another worker`);
  }
  if (size !== upload.size) {
    await ports.uploads.finish(id, 'failed', sizeReason(size, upload.size));
    return 'failed';
  }
  // A worker that died after storing the message left it queued already: only the status is missing.
  if (!(await ports.messages.get(id))) {
    const { body, write: landed } = await ports.payloads.read(key);
    if (body.length !== upload.size) {
      await ports.uploads.finish(id, 'failed', sizeReason(body.length, upload.size));
      return 'failed';
    }
    let routed: StoredIntegration[];
    try {
      routed = await routeMessage(ports, upload, { body, contentType: upload.contentType });
    } catch (e) {
      // A document its filters cannot read (malformed or too deep XML) fails the same way every
      // time: the upload fails with the reason, instead of going round the queue to its DLQ.
      if (!(e instanceof HubError)) throw e;
      await ports.uploads.finish(id, 'failed', e.message);
      return 'failed';
    }
    if (routed.length === 0) {
      await ports.uploads.finish(id, 'failed', noRoute(upload).message);
      return 'failed';
    }
    await storeMessage(ports, { ...upload, body, landed }, routed);
  }
  await ports.uploads.finish(id, 'accepted');
  return 'accepted';
}

const sizeReason = (size: number, announced: number) =>
  `The upload has ${size} bytes; ${announced} were announced.`;

/** Another write to an accepted upload's key: the message stays as accepted, and says so. */
async function noteLaterWrite(
  ports: Pick<LandedPorts, 'messages' | 'clock'>,
  id: string,
  size: number,
  write: ObjectWrite,
): Promise<'ignored' | 'overwritten'> {
  const message = await ports.messages.get(id);
  if (!message || !isAnotherWrite(message.landed, write)) return 'ignored';
  await ports.messages.addNote(
    id,
    `The upload was written again after the message was accepted (${size} bytes, noticed ${new Date(ports.clock.now()).toISOString()}); that write changed nothing: the message is the document accepted, sha256 ${message.sha256}.`,
  );
  return 'overwritten';
}
