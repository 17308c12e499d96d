import { systemClock } from '../core/clock.js';
import { enablements, registry, uploads } from '../deps.js';
import * as route from '../routes/uploads.js';
import { startUpload } from '../usecases/uploads.js';
import { edge } from './edge.js';
import { refusalRecorder } from './refusals.js';

/** POST /v1/messages/uploads: a presigned PUT for a document over the inline limit. */
export const postUpload = edge(
  route.postUpload,
  () => ({
    keys: registry(),
    refusals: refusalRecorder(),
    registry: registry(),
    enablements: enablements(),
    uploads: uploads(),
    clock: systemClock,
  }),
  ({ query, caller }, p) => startUpload(p, caller, query),
);
