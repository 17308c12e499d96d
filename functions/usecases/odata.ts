import type { z } from 'zod/mini';
import { HubError } from '../core/errors.js';
import {
  ENTITY_SET,
  type Entity,
  loadFilterParser,
  MAX_FILTERED,
  nextLinkQuery,
  type ODataInputSchema,
  type ODataPatchSchema,
  PAGE_SIZE,
  parseQueryOptions,
  parseResource,
  SECRET_ANNOTATION,
  selected,
  sortEntities,
  toEntity,
  toInput,
  toPatch,
} from '../core/odata.js';
import * as integrations from './integrations.js';

/**
 * The OData face of the registry (seed 004): the same use case as /admin/integrations (its rules,
 * its secrets, its writes), read and answered in OData's terms. `base` is the service root the
 * caller reached, e.g. `https://api.example.com/odata`.
 *
 * Listing reads the whole registry through the use case (one Query of the registry's kind index,
 * paged; never a Scan) and filters, orders and pages it in memory: the registry is the operator's
 * list of integrations, tens to hundreds. Past MAX_FILTERED integrations the listing answers 501
 * rather than grow without bound; GET /admin/integrations still lists them.
 */

export type ODataPorts = integrations.IntegrationPorts;

const context = (base: string, select?: readonly string[]) =>
  `${base}/$metadata#${ENTITY_SET}${select ? `(${select.join(',')})` : ''}`;
const entityContext = (base: string, select?: readonly string[]) => `${context(base, select)}/$entity`;
const locationOf = (base: string, id: string) => `${base}/${ENTITY_SET}('${id.replace(/'/g, "''")}')`;

/** The id a path segment keys; 405 for the collection itself (PATCH or DELETE of the set). */
export function keyOf(segment: string, method: string): string {
  const resource = parseResource(segment);
  if (resource.kind === 'entity') return resource.id;
  throw new HubError(405, 'method_not_allowed', `${method} needs one entity: ${ENTITY_SET}('<id>').`);
}

export async function listIntegrations(
  ports: Pick<ODataPorts, 'registry'>,
  query: Readonly<Record<string, string | undefined>>,
  base: string,
) {
  if (query.$filter !== undefined) await loadFilterParser();
  const options = parseQueryOptions(query);
  const all = await integrations.listIntegrations(ports);
  if (all.length > MAX_FILTERED) {
    throw new HubError(
      501,
      'registry_too_large',
      `The registry holds more than ${MAX_FILTERED} integrations, more than this face filters; use GET /admin/integrations.`,
    );
  }
  const filter = options.filter;
  const matching = sortEntities(
    all.map(toEntity).filter((e) => !filter || filter(e)),
    options.orderby,
  );
  const wanted = options.top === undefined ? matching.length - options.skip : options.top;
  const page = matching.slice(options.skip, options.skip + Math.min(wanted, PAGE_SIZE));
  const more = wanted > PAGE_SIZE && matching.length > options.skip + PAGE_SIZE;
  return {
    '@odata.context': context(base, options.select),
    ...(options.count ? { '@odata.count': matching.length } : {}),
    value: page.map((e) => selected(e, options.select)),
    ...(more
      ? { '@odata.nextLink': `${base}/${ENTITY_SET}?${nextLinkQuery(query, options.skip, options.top)}` }
      : {}),
  };
}

/** `$metadata` is answered by the handler (it is not data); anything else read here is one entity. */
export async function readEntity(
  ports: Pick<ODataPorts, 'registry' | 'clock'>,
  id: string,
  select: string | undefined,
  base: string,
): Promise<Entity> {
  const properties = select === undefined || select.trim() === '*' ? undefined : selectList(select);
  const entity = toEntity(await integrations.integration(ports, id));
  return { '@odata.context': entityContext(base, properties), ...selected(entity, properties) };
}

const selectList = (select: string) => parseQueryOptions({ $select: select }).select;

/** Registers through the same use case; the signing secret travels once, as an instance annotation. */
export async function createIntegration(
  ports: ODataPorts,
  body: z.output<typeof ODataInputSchema>,
  base: string,
) {
  const { secret, ...created } = await integrations.registerIntegration(ports, toInput(body));
  return {
    location: locationOf(base, created.id),
    entity: { '@odata.context': entityContext(base), [SECRET_ANNOTATION]: secret, ...toEntity(created) },
  };
}

export async function patchIntegration(
  ports: ODataPorts,
  id: string,
  body: z.output<typeof ODataPatchSchema>,
  base: string,
) {
  const changed = await integrations.patchIntegration(ports, id, toPatch(body));
  return { '@odata.context': entityContext(base), ...toEntity(changed) };
}

export const deleteIntegration = (
  ports: Pick<ODataPorts, 'registry' | 'enablements'> & Parameters<typeof integrations.deleteIntegration>[0],
  id: string,
) => integrations.deleteIntegration(ports, id);
