import * as z from 'zod/mini';
import { DeviceUploadQuerySchema, LinkQuerySchema } from '../../core/packet.js';
import { PACKETS } from '../../http/faces/packets.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { ANNOUNCE_ANSWERS, size } from '../erp/announce.js';
import { LINK, URL_MINUTES, UserParams } from '../erp/shared.js';

/** The device routes that answer presigned URLs (handlers: functions/http/device/urls.ts). */

export const deviceUpload = {
  method: 'GET',
  path: '/device/{appArea}/{mobileUser}/upload',
  auth: 'apiKey',
  scope: 'device',
  face: PACKETS,
  params: UserParams,
  query: z.extend(DeviceUploadQuerySchema, { size }),
  handler: h('http/device/urls.ts', 'upload'),
  summary: 'Announce a packet or file for the ERP: a syncLogId and a presigned PUT (exactly size bytes)',
  uses: ['messages:write', 'packets:presignUpload'],
  responses: ANNOUNCE_ANSWERS,
} satisfies RouteDefinition;

export const deviceLink = {
  method: 'GET',
  path: '/device/{appArea}/{mobileUser}/link',
  auth: 'apiKey',
  scope: 'device',
  face: PACKETS,
  params: UserParams,
  query: LinkQuerySchema,
  handler: h('http/device/urls.ts', 'link'),
  summary: `A presigned GET (${URL_MINUTES} minutes) for a url the user’s pull listed, as text/plain`,
  uses: ['messages:read', 'packets:presignDownload'],
  responses: { 200: LINK, 400: 'no path', 404: 'not one of the user’s packets' },
} satisfies RouteDefinition;
