import { systemClock } from '../core/clock.js';
import { badRequest } from '../core/errors.js';
import { DoneBodySchema, MAX_LEASE_BATCH, visibilitySeconds } from '../core/lease.js';
import { wholeNumber } from '../core/numbers.js';
import { messages } from '../deps.js';
import { apiKeyOf, authenticateKey } from './auth.js';
import { httpHandler } from './middleware.js';
import { parseJsonBody } from './validation.js';

export const INBOX_MAX_LIMIT = MAX_LEASE_BATCH;

/** GET /v1/inbox: the receiver's waiting pull deliveries, each leased with a receipt handle. */
export const getInbox = httpHandler(async (req) => {
  const key = await authenticateKey(apiKeyOf(req), 'messages');
  const limit = req.query.limit === undefined ? 10 : wholeNumber(req.query.limit, 1, INBOX_MAX_LIMIT);
  if (limit === undefined) {
    throw badRequest('invalid_parameter', `limit must be an integer from 1 to ${INBOX_MAX_LIMIT}.`);
  }
  const visibility = visibilitySeconds(req.query.visibilityTimeout);
  if (visibility === undefined) {
    throw badRequest(
      'invalid_parameter',
      'visibilityTimeout must be an integer number of seconds from 1 to 43200.',
    );
  }
  const leased = await messages().leaseInbox(key.partnerCode, limit, systemClock.now(), visibility);
  const items = await Promise.all(
    leased.map(async (l) => ({ lease: l, message: await messages().get(l.messageId) })),
  );
  return {
    status: 200,
    json: {
      messages: items
        .filter((i) => i.message)
        .map(({ lease, message: m }) => ({
          id: lease.messageId,
          receiptHandle: lease.receiptHandle,
          sender: m?.sender,
          doctype: m?.doctype,
          version: m?.version,
          size: m?.size,
          receivedAt: m?.receivedAt,
        })),
    },
  };
});

/** POST /v1/inbox/done: completes leased deliveries; stale handles and unknown ids are listed, the rest done. */
export const inboxDone = httpHandler(async (req) => {
  const key = await authenticateKey(apiKeyOf(req), 'messages');
  const items = parseJsonBody(DoneBodySchema, req);
  const now = systemClock.now();
  const failed: { id: string; error: string }[] = [];
  for (const item of items) {
    if (!(await messages().completeInbox(key.partnerCode, item.id, item.receiptHandle, now))) {
      failed.push({
        id: item.id,
        error: 'unknown id, or the receipt handle is stale (its lease ended or a newer one exists)',
      });
    }
  }
  return { status: 200, json: failed.length ? { success: false, failed } : { success: true } };
});
