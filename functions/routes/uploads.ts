import * as z from 'zod/mini';
import { h, type RouteDefinition } from '../route-types.js';
import { MAX_UPLOAD_BYTES } from '../usecases/uploads.js';
import { Envelope } from './envelope.js';
import { mediaTypeParam, wholeNumberParam } from './schemas.js';

/** Large documents, announced and then uploaded to S3 (handler: functions/http/uploads.ts). */

export const postUpload = {
  method: 'POST',
  path: '/v1/messages/uploads',
  auth: 'apiKey',
  scope: 'messages',
  query: z.object({
    ...Envelope,
    size: wholeNumberParam(
      1,
      MAX_UPLOAD_BYTES,
      `size must be the document's byte count, 1 to ${MAX_UPLOAD_BYTES}.`,
    ),
    contentType: mediaTypeParam('contentType must be a media type such as application/xml.'),
  }),
  handler: h('http/uploads.ts', 'postUpload'),
  summary:
    'Announce a document over the inline limit: a presigned PUT (15 minutes, exactly `size` bytes of `contentType`); the message is accepted when the upload lands',
  uses: ['messages:write', 'payloads:presignUpload'],
  responses: {
    201: {
      description: 'the upload URL',
      schema: z.object({ id: z.string(), uploadUrl: z.string(), expiresAt: z.string() }),
    },
    400: 'missing parameter, bad size (digits, 1 byte to 10 MiB), content type, doctype or version',
    404: 'unknown receiver',
    422: 'no active Outbound integration routes this message',
  },
} satisfies RouteDefinition;
