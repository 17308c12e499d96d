import { adminKey } from '../adapters/admin-key.js';
import { metadataXml, parseResource, serviceDocument as serviceDocumentOf } from '../core/odata.js';
import { deliveryQueue } from '../deps.js';
import * as route from '../routes/odata.js';
import * as odata from '../usecases/odata.js';
import { registryPorts } from './admin/registry-ports.js';
import { answer, byRouteKey, edge } from './edge.js';
import { ODATA_HEADERS } from './faces/odata.js';
import type { HubRequest } from './middleware.js';

/** The OData face of the registry (seed 004's wire format); declarations in functions/routes/odata.ts. */

const ports = registryPorts;

/**
 * The service root the caller reached: its Host, and the scheme API Gateway forwards
 * (X-Forwarded-Proto; the local hub serves plain HTTP and sends none).
 */
const baseOf = (req: HubRequest) =>
  `${req.headers['x-forwarded-proto'] ?? 'http'}://${req.headers.host ?? 'localhost'}/odata`;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  answer({ status, json: body, headers: { ...ODATA_HEADERS, ...headers } });

const serviceDocument = edge(
  route.serviceDocument,
  () => ({ adminKey: adminKey() }),
  async (i) => json(200, serviceDocumentOf(baseOf(i.request))),
);

const listIntegrations = edge(route.listODataIntegrations, ports, async ({ request }, p) =>
  json(200, await odata.listIntegrations(p, request.query, baseOf(request))),
);

const read = edge(route.readOData, ports, async ({ params, query, request }, p) => {
  const resource = parseResource(params.resource);
  if (resource.kind === 'metadata') {
    return answer({
      status: 200,
      raw: { body: metadataXml(), contentType: 'application/xml' },
      headers: { 'odata-version': '4.0' },
    });
  }
  if (resource.kind === 'collection')
    return json(200, await odata.listIntegrations(p, request.query, baseOf(request)));
  return json(200, await odata.readEntity(p, resource.id, query.$select, baseOf(request)));
});

const createIntegration = edge(route.createODataIntegration, ports, async ({ body, request }, p) => {
  const { location, entity } = await odata.createIntegration(p, body, baseOf(request));
  return json(201, entity, { location });
});

/** 204, or 200 with the entity when the caller asks for it (`Prefer: return=representation`). */
const patchIntegration = edge(route.patchODataIntegration, ports, async ({ params, body, request }, p) => {
  const entity = await odata.patchIntegration(
    p,
    odata.keyOf(params.resource, 'PATCH'),
    body,
    baseOf(request),
  );
  if (/\breturn=representation\b/i.test(request.headers.prefer ?? '')) {
    return json(200, entity, { 'preference-applied': 'return=representation' });
  }
  return answer({ status: 204, headers: { 'odata-version': '4.0' } });
});

const deletePorts = () => ({ ...ports(), queue: deliveryQueue() });

const deleteIntegration = edge(route.deleteODataIntegration, deletePorts, async ({ params }, p) => {
  await odata.deleteIntegration(p, odata.keyOf(params.resource, 'DELETE'));
  return answer({ status: 204, headers: { 'odata-version': '4.0' } });
});

/** The whole face is one function: each route keeps its own edge wrapper, chosen by route key. */
export const odataFace = byRouteKey([
  [route.serviceDocument, serviceDocument],
  [route.listODataIntegrations, listIntegrations],
  [route.createODataIntegration, createIntegration],
  [route.readOData, read],
  [route.patchODataIntegration, patchIntegration],
  [route.deleteODataIntegration, deleteIntegration],
]);
