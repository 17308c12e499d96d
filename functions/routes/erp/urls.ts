import * as z from 'zod/mini';
import { LinkQuerySchema, PushQuerySchema } from '../../core/packet.js';
import { PACKETS } from '../../http/faces/packets.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { ANNOUNCE_ANSWERS, size } from './announce.js';
import { AreaParams, LINK, URL_MINUTES, UserParams } from './shared.js';

/** Seed 003's ERP routes that answer presigned URLs, also under /mobile/erp (handlers: functions/http/erp/urls.ts). */

export const push = {
  method: 'GET',
  path: '/erp/push/{appArea}/{mobileUser}',
  auth: 'apiKey',
  scope: 'erp',
  face: PACKETS,
  params: UserParams,
  query: z.extend(PushQuerySchema, { size }),
  handler: h('http/erp/urls.ts', 'push'),
  summary: `Announce a packet for a mobile user: a syncLogId and a presigned PUT (${URL_MINUTES} minutes, exactly size bytes)`,
  uses: ['messages:write', 'packets:presignUpload'],
  responses: ANNOUNCE_ANSWERS,
} satisfies RouteDefinition;

export const link = {
  method: 'GET',
  path: '/erp/pull/{appArea}/link',
  auth: 'apiKey',
  scope: 'erp',
  face: PACKETS,
  params: AreaParams,
  query: LinkQuerySchema,
  handler: h('http/erp/urls.ts', 'link'),
  summary: `A presigned GET (${URL_MINUTES} minutes) for a url a pull listed, as text/plain`,
  uses: ['messages:read', 'packets:presignDownload'],
  responses: { 200: LINK, 400: 'no path', 404: 'a path outside the area' },
} satisfies RouteDefinition;
