import type { z } from 'zod/mini';
import type { DeliveryQueue } from '../adapters/delivery-queue.js';
import type { EnablementRepository } from '../adapters/enablements.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { badRequest, conflict, notFound } from '../core/errors.js';
import { HEALTH_FIELDS, type IntegrationHealth } from '../core/health.js';
import {
  type Integration,
  type IntegrationInput,
  IntegrationInputSchema,
  type IntegrationPatchSchema,
  type StoredIntegration,
  shown,
} from '../core/integration.js';
import {
  checkIntegrationRules,
  expressionParser,
  integrationExpressions,
  type RuleContext,
} from '../core/integration-rules.js';
import { parseValue } from '../core/parse.js';
import type { Randomness } from '../core/random.js';
import { nextTick } from '../core/triggers.js';

/** The integration registry (seed 004) as the operator keeps it: ids, signing secrets, patches, rotation. */

export interface IntegrationPorts {
  registry: Pick<
    RegistryRepository,
    | 'getPartner'
    | 'getIntegration'
    | 'listIntegrations'
    | 'createIntegration'
    | 'replaceIntegration'
    | 'deleteIntegration'
  >;
  enablements: Pick<EnablementRepository, 'anyFor'>;
  clock: Clock;
  random: Randomness;
  /** Where outbound URLs may point (loopback only on the local hub). */
  rules: RuleContext;
}

/** The default overlap of a rotated secret with its successor. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/** An integration with its next scheduled send, when it has a schedule (GET /admin/integrations/{id}). */
function withNextRun(i: StoredIntegration, now: number) {
  const view = shown(i);
  return i.direction === 'Outbound' && i.defaultSchedule
    ? { ...view, nextRunAt: new Date(nextTick(now, i.defaultSchedule)).toISOString() }
    : view;
}

async function load(ports: Pick<IntegrationPorts, 'registry'>, id: string): Promise<StoredIntegration> {
  const i = await ports.registry.getIntegration(id);
  if (!i) throw notFound(`Integration ${id}`);
  return i;
}

/** The rules that span fields, and the partners it names must be registered. */
async function check(ports: Pick<IntegrationPorts, 'registry' | 'rules'>, i: IntegrationInput) {
  const rules = integrationExpressions(i).length
    ? { ...ports.rules, parseExpression: await expressionParser() }
    : ports.rules;
  checkIntegrationRules(i, rules);
  for (const [field, code] of [
    ['receiver', i.receiver],
    ['sender', i.sender],
  ] as const) {
    if (code && !(await ports.registry.getPartner(code))) {
      throw badRequest('invalid_integration', `${field}: partner ${code} is not registered.`, field);
    }
  }
}

const nameTaken = (name: string) =>
  conflict('integration_exists', `An integration named ${name} already exists.`, 'name');

/** Registers an integration with a new signing secret, which this answer alone shows. */
export async function registerIntegration(ports: IntegrationPorts, input: IntegrationInput) {
  await check(ports, input);
  const now = new Date(ports.clock.now()).toISOString();
  const integration: StoredIntegration = {
    ...input,
    id: ports.random.id('int', ports.clock.now()),
    createdAt: now,
    updatedAt: now,
    secret: ports.random.signingSecret(),
  };
  if (!(await ports.registry.createIntegration(integration))) throw nameTaken(input.name);
  return { ...shown(integration), secret: integration.secret };
}

export async function listIntegrations(ports: Pick<IntegrationPorts, 'registry'>) {
  return (await ports.registry.listIntegrations()).map(shown);
}

export async function integration(ports: Pick<IntegrationPorts, 'registry' | 'clock'>, id: string) {
  return withNextRun(await load(ports, id), ports.clock.now());
}

/**
 * Changes an integration: the fields the patch names replace the stored ones, and the result must
 * pass every rule again, as a new integration would. Its id, creation and secrets stay.
 */
export async function patchIntegration(
  ports: IntegrationPorts,
  id: string,
  patch: z.output<typeof IntegrationPatchSchema>,
) {
  const previous = await load(ports, id);
  const { createdAt, secret, previousSecret, previousSecretValidUntil, updatedAt: _u, ...current } = previous;
  // Endpoint health is the hub's, not the operator's: a PATCH neither sets nor clears it (see enable).
  const { id: _id, health: _h, disabledAt: _da, disabledReason: _dr, failingSince: _fs, ...fields } = current;
  const merged = parseValue(IntegrationInputSchema, { ...fields, ...stripUndefined(patch) });
  await check(ports, merged);
  const next: StoredIntegration = {
    ...merged,
    id,
    createdAt,
    updatedAt: new Date(ports.clock.now()).toISOString(),
    secret,
    ...(previousSecret ? { previousSecret, previousSecretValidUntil } : {}),
  };
  if (!(await ports.registry.replaceIntegration(previous, next))) throw nameTaken(merged.name);
  return shown({ ...next, ...healthOf(previous) });
}

/**
 * A managed integration that clients have enabled stays until they (or the operator) remove them.
 * A disabled one (endpoint health) may have deliveries held: they are released once it is gone, and
 * their jobs end them failed ("The integration was deleted."), as any delivery whose integration went.
 */
export async function deleteIntegration(
  ports: Pick<IntegrationPorts, 'registry' | 'enablements'> & {
    queue: Pick<DeliveryQueue, 'enqueueRelease'>;
  },
  id: string,
) {
  const i = await load(ports, id);
  if (await ports.enablements.anyFor(id)) {
    throw conflict(
      'integration_enabled',
      `Integration ${id} has client enablements (GET /admin/enablements?integrationId=${id}); each client deletes its own (DELETE /v1/enablements/{id}) before the integration can go. Set active: false to stop it now.`,
    );
  }
  await ports.registry.deleteIntegration(i);
  if (i.health === 'disabled') await ports.queue.enqueueRelease(id);
}

/** A new signing secret; the previous one keeps signing for `overlapSeconds` (a day by default). */
export async function rotateSecret(
  ports: Pick<IntegrationPorts, 'registry' | 'clock' | 'random'>,
  id: string,
  overlapSeconds = DEFAULT_OVERLAP_SECONDS,
) {
  const previous = await load(ports, id);
  const now = ports.clock.now();
  const previousValidUntil = new Date(now + overlapSeconds * 1000).toISOString();
  const next: StoredIntegration = {
    ...previous,
    secret: ports.random.signingSecret(),
    previousSecret: previous.secret,
    previousSecretValidUntil: previousValidUntil,
    updatedAt: new Date(now).toISOString(),
  };
  await ports.registry.replaceIntegration(previous, next);
  return { secret: next.secret, previousValidUntil };
}

/** The health fields as stored (replaceIntegration leaves them so). */
function healthOf(i: StoredIntegration): IntegrationHealth {
  const out: IntegrationHealth = {};
  for (const k of HEALTH_FIELDS) if (i[k] !== undefined) Object.assign(out, { [k]: i[k] });
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
