import { systemClock } from '../core/clock.js';
import { registry, uploads } from '../deps.js';
import { startUpload } from '../usecases/uploads.js';
import { apiKeyOf, authenticateKey } from './auth.js';
import { httpHandler } from './middleware.js';

/** POST /v1/messages/uploads: a presigned PUT for a document over the inline limit. */
export const postUpload = httpHandler(async (req) => {
  const key = await authenticateKey(apiKeyOf(req), 'messages');
  const created = await startUpload(
    { registry: registry(), uploads: uploads(), clock: systemClock },
    key,
    req.query,
  );
  return { status: 201, json: created };
});
