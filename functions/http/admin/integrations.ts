import { newId } from '../../core/clock.js';
import { badRequest, conflict, notFound } from '../../core/errors.js';
import {
  checkIntegrationRules,
  type Integration,
  IntegrationInputSchema,
  IntegrationPatchSchema,
  type StoredIntegration,
} from '../../core/integration.js';
import { newSigningSecret } from '../../core/secrets.js';
import { registry, settings } from '../../deps.js';
import { RotateSecretSchema } from '../../routes.js';
import { adminHandler } from '../auth.js';
import { parseJsonBody, parseValue } from '../validation.js';

/** What the API shows of an integration: never its signing secrets. */
function shown(i: StoredIntegration): Integration & { previousSecretValidUntil?: string } {
  const { secret: _s, previousSecret: _p, ...rest } = i;
  return rest;
}

async function loadIntegration(id: string): Promise<StoredIntegration> {
  const i = await registry().getIntegration(id);
  if (!i) throw notFound(`Integration ${id}`);
  return i;
}

async function checkPartners(i: { receiver?: string | undefined; sender?: string | null | undefined }) {
  for (const [field, code] of [
    ['receiver', i.receiver],
    ['sender', i.sender],
  ] as const) {
    if (code && !(await registry().getPartner(code))) {
      throw badRequest('invalid_integration', `${field}: partner ${code} is not registered.`);
    }
  }
}

export const createIntegration = adminHandler(async (req) => {
  const input = parseJsonBody(IntegrationInputSchema, req);
  checkIntegrationRules(input, { allowLoopback: settings().ALLOW_LOOPBACK_OUTBOUND });
  await checkPartners(input);
  const now = new Date().toISOString();
  const integration: StoredIntegration = {
    ...input,
    id: newId('int'),
    createdAt: now,
    updatedAt: now,
    secret: newSigningSecret(),
  };
  if (!(await registry().createIntegration(integration))) {
    throw conflict('integration_exists', `An integration named ${input.name} already exists.`);
  }
  return { status: 201, json: { ...shown(integration), secret: integration.secret } };
});

export const listIntegrations = adminHandler(async () => ({
  status: 200,
  json: { integrations: (await registry().listIntegrations()).map(shown) },
}));

export const getIntegration = adminHandler(async (req) => ({
  status: 200,
  json: shown(await loadIntegration(req.pathParameters.id ?? '')),
}));

export const patchIntegration = adminHandler(async (req) => {
  const previous = await loadIntegration(req.pathParameters.id ?? '');
  const patch = parseJsonBody(IntegrationPatchSchema, req);
  const {
    id,
    createdAt,
    secret,
    previousSecret,
    previousSecretValidUntil,
    updatedAt: _u,
    ...current
  } = previous;
  const merged = parseValue(IntegrationInputSchema, { ...current, ...stripUndefined(patch) });
  checkIntegrationRules(merged, { allowLoopback: settings().ALLOW_LOOPBACK_OUTBOUND });
  await checkPartners(merged);
  const next: StoredIntegration = {
    ...merged,
    id,
    createdAt,
    updatedAt: new Date().toISOString(),
    secret,
    ...(previousSecret ? { previousSecret, previousSecretValidUntil } : {}),
  };
  if (!(await registry().replaceIntegration(previous, next))) {
    throw conflict('integration_exists', `An integration named ${merged.name} already exists.`);
  }
  return { status: 200, json: shown(next) };
});

export const deleteIntegration = adminHandler(async (req) => {
  await registry().deleteIntegration(await loadIntegration(req.pathParameters.id ?? ''));
  return { status: 204 };
});

export const rotateSecret = adminHandler(async (req) => {
  const previous = await loadIntegration(req.pathParameters.id ?? '');
  const { overlapSeconds = 86_400 } = req.body.length
    ? parseJsonBody(RotateSecretSchema, req)
    : parseValue(RotateSecretSchema, {});
  const previousValidUntil = new Date(Date.now() + overlapSeconds * 1000).toISOString();
  const next: StoredIntegration = {
    ...previous,
    secret: newSigningSecret(),
    previousSecret: previous.secret,
    previousSecretValidUntil: previousValidUntil,
    updatedAt: new Date().toISOString(),
  };
  await registry().replaceIntegration(previous, next);
  return { status: 200, json: { secret: next.secret, previousValidUntil } };
});

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
