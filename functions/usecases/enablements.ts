import type { EnablementRepository } from '../adapters/enablements.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import {
  checkClientSchedule,
  decideConsent,
  type Enablement,
  type EnablementChange,
  type EnablementStatus,
  initialStatus,
  stoppedReason,
  withChange,
} from '../core/enablements.js';
import { conflict, notFound } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { StoredIntegration } from '../core/integration.js';
import type { Randomness } from '../core/random.js';

/**
 * Enablements (Contract v2; seed 004): a client switches a managed integration on for itself, a
 * consent may have to be given first, and the client may keep its own schedule where the integration
 * allows it. Nothing of the integration is copied: routing reads the integration as it is now.
 */

export interface EnablementPorts {
  enablements: Pick<
    EnablementRepository,
    'idFor' | 'create' | 'replace' | 'remove' | 'get' | 'listForClient' | 'listForIntegration' | 'listAll'
  >;
  registry: Pick<RegistryRepository, 'getIntegration'>;
  clock: Clock;
  random: Pick<Randomness, 'id'>;
  events: EventSink;
}

/** What a client sees of its enablement; the operator also sees its history. */
export function clientView(e: Enablement) {
  const { history: _h, direction: _d, ...rest } = e;
  return rest;
}

const unknownEnablement = (id: string) => notFound(`Enablement ${id}`);
const changedMeanwhile = () =>
  conflict('enablement_changed', 'The enablement changed while this request was handled; send it again.');

async function managedIntegration(ports: Pick<EnablementPorts, 'registry'>, id: string) {
  const i = await ports.registry.getIntegration(id);
  if (!i?.managed) throw notFound(`Managed integration ${id}`);
  return i;
}

/** Switches a managed integration on for `client`: active at once, or pending its consent. */
export async function enable(
  ports: EnablementPorts,
  client: string,
  input: { integrationId: string; schedule?: number | null | undefined },
) {
  const integration = await managedIntegration(ports, input.integrationId);
  checkClientSchedule(integration, input.schedule);
  const now = ports.clock.now();
  const at = new Date(now).toISOString();
  const status = initialStatus(integration.consentType);
  const e: Enablement = {
    id: ports.enablements.idFor(ports.random.id('enb', now), integration.id, client),
    integrationId: integration.id,
    partner: client,
    direction: integration.direction,
    status,
    schedule: input.schedule ?? null,
    createdAt: at,
    updatedAt: at,
    history: [{ at, by: `client:${client}`, action: 'enabled' }],
  };
  if (!(await ports.enablements.create(e))) {
    throw conflict('already_enabled', `${client} has already enabled integration ${integration.id}.`);
  }
  if (status === 'pending_consent') {
    await ports.events.emit({
      type: 'enablement.pending',
      at: now,
      integrationId: integration.id,
      partner: client,
      detail: `${client} enabled ${integration.name} (enablement ${e.id}); consent by the ${integration.consentType === 'Receiver' ? `receiver ${integration.receiver}` : 'operator'} is pending.`,
    });
  }
  return clientView(e);
}

async function ownEnablement(ports: Pick<EnablementPorts, 'enablements'>, client: string, id: string) {
  const e = await ports.enablements.get(id);
  if (!e || e.partner !== client) throw unknownEnablement(id);
  return e;
}

export async function listOwn(ports: Pick<EnablementPorts, 'enablements'>, client: string) {
  return (await ports.enablements.listForClient(client)).map(clientView);
}

export async function getOwn(ports: Pick<EnablementPorts, 'enablements'>, client: string, id: string) {
  return clientView(await ownEnablement(ports, client, id));
}

async function change(
  ports: EnablementPorts,
  e: Enablement,
  next: Partial<Pick<Enablement, 'status' | 'schedule'>>,
  what: Omit<EnablementChange, 'at'>,
): Promise<Enablement> {
  const at = new Date(ports.clock.now()).toISOString();
  const changed: Enablement = { ...e, ...next, updatedAt: at, history: withChange(e, { ...what, at }) };
  if (!(await ports.enablements.replace(changed, e.updatedAt))) throw changedMeanwhile();
  return changed;
}

/** The client's own schedule, where the integration lets clients choose it (else 400). */
export async function setSchedule(
  ports: EnablementPorts,
  client: string,
  id: string,
  schedule: number | null,
) {
  const e = await ownEnablement(ports, client, id);
  checkClientSchedule(await managedIntegration(ports, e.integrationId), schedule);
  return clientView(
    await change(ports, e, { schedule }, { by: `client:${client}`, action: 'schedule_changed' }),
  );
}

/** The client switches the integration off: nothing routes for it from now on. */
export async function disable(ports: EnablementPorts, client: string, id: string): Promise<void> {
  const e = await ownEnablement(ports, client, id);
  if (!(await ports.enablements.remove(e))) throw unknownEnablement(id);
}

async function decide(
  ports: EnablementPorts,
  e: Enablement,
  by: string,
  decision: { granted: boolean; note?: string | undefined },
): Promise<Enablement> {
  const outcome = decideConsent(e.status, decision.granted);
  if (outcome === 'unchanged') return e;
  return change(
    ports,
    e,
    { status: outcome.status },
    { by, action: outcome.action, ...(decision.note ? { note: decision.note } : {}) },
  );
}

/**
 * The receiver's consent, on an integration whose consentType is Receiver. To anyone else (another
 * partner, or the receiver of an integration that asks the operator) the enablement does not exist.
 */
export async function consentAsReceiver(
  ports: EnablementPorts,
  caller: string,
  id: string,
  decision: { granted: boolean; note?: string | undefined },
) {
  const e = await ports.enablements.get(id);
  const integration = e && (await ports.registry.getIntegration(e.integrationId));
  if (!e || !integration || integration.consentType !== 'Receiver' || integration.receiver !== caller) {
    throw unknownEnablement(id);
  }
  return clientView(await decide(ports, e, `receiver:${caller}`, decision));
}

/** The operator may decide any enablement, whatever its consentType. */
export async function consentAsOperator(
  ports: EnablementPorts,
  id: string,
  decision: { granted: boolean; note?: string | undefined },
) {
  const e = await ports.enablements.get(id);
  if (!e) throw unknownEnablement(id);
  return decide(ports, e, 'operator', decision);
}

/** The operator's view, filtered; by integration it reads that integration's partition only. */
export async function listForOperator(
  ports: Pick<EnablementPorts, 'enablements'>,
  filter: {
    integrationId?: string | undefined;
    partner?: string | undefined;
    status?: EnablementStatus | undefined;
  },
): Promise<Enablement[]> {
  const all = filter.integrationId
    ? await ports.enablements.listForIntegration(filter.integrationId)
    : filter.partner
      ? await ports.enablements.listForClient(filter.partner)
      : await ports.enablements.listAll();
  return all.filter(
    (e) =>
      (!filter.partner || e.partner === filter.partner) && (!filter.status || e.status === filter.status),
  );
}

/**
 * Whether a managed integration may carry something for `client` (its sender for Outbound): undefined
 * when it may, else the reason it may not. A non-managed integration always may.
 */
export async function routingStop(
  enablements: Pick<EnablementRepository, 'forClient'>,
  integration: Pick<StoredIntegration, 'id' | 'managed'>,
  client: string,
): Promise<string | undefined> {
  if (!integration.managed) return undefined;
  return stoppedReason(await enablements.forClient(integration.id, client));
}

/**
 * The integrations that may carry something for `client`: managed ones only where it enabled them,
 * and then with the client's own schedule in place of the integration's, where it set one.
 */
export async function enabledFor<I extends Pick<StoredIntegration, 'id' | 'managed' | 'defaultSchedule'>>(
  enablements: Pick<EnablementRepository, 'forClient'>,
  integrations: readonly I[],
  client: string | ((i: I) => string),
): Promise<I[]> {
  const kept: I[] = [];
  for (const i of integrations) {
    if (!i.managed) {
      kept.push(i);
      continue;
    }
    const e = await enablements.forClient(i.id, typeof client === 'string' ? client : client(i));
    if (stoppedReason(e) !== undefined) continue;
    kept.push(e?.schedule ? { ...i, defaultSchedule: e.schedule } : i);
  }
  return kept;
}
