import * as z from 'zod/mini';
import { DoneQuerySchema, ListQuerySchema } from '../../core/packet.js';
import { PACKETS } from '../../http/faces/packets.js';
import { h, type RouteDefinition } from '../../route-types.js';
import { DONE, LISTED, leaseQuery } from '../erp/listing.js';
import { UserParams } from '../erp/shared.js';

/** The device face of seed 003 over packet records (handlers: functions/http/device/packets.ts). */

export const deviceList = {
  method: 'GET',
  path: '/device/{appArea}/{mobileUser}/packets',
  auth: 'apiKey',
  scope: 'device',
  face: PACKETS,
  params: UserParams,
  query: z.extend(ListQuerySchema, leaseQuery),
  handler: h('http/device/packets.ts', 'list'),
  summary: 'Lease the user’s ready ERP→device packets (as ERP pull; url is the native JSON form)',
  uses: ['messages:write'],
  responses: {
    200: LISTED,
    400: 'bad parameter',
  },
} satisfies RouteDefinition;

export const deviceDone = {
  method: 'POST',
  path: '/device/{appArea}/{mobileUser}/done',
  auth: 'apiKey',
  scope: 'device',
  face: PACKETS,
  params: UserParams,
  query: DoneQuerySchema,
  rawBody: 'application/json, application/xml',
  handler: h('http/device/packets.ts', 'done'),
  summary: 'Complete the user’s leased packets (as ERP done)',
  uses: ['messages:write'],
  responses: { 200: DONE, 400: 'malformed body (nothing is done)' },
} satisfies RouteDefinition;
