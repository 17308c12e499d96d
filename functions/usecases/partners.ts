import type { z } from 'zod/mini';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { conflict, notFound } from '../core/errors.js';
import { type CreateKeySchema, type Partner, type PartnerKey, SCOPES } from '../core/partners.js';
import type { Randomness } from '../core/random.js';
import { sha256Hex } from '../core/secrets.js';

/** The operator's partners and their API keys (the admin API). */

export interface PartnerPorts {
  registry: Pick<
    RegistryRepository,
    'createPartner' | 'getPartner' | 'listPartners' | 'listKeys' | 'addKey' | 'revokeKey'
  >;
  clock: Clock;
  random: Randomness;
}

/** Registers a partner; codes are unique regardless of case (409). */
export async function registerPartner(
  ports: Pick<PartnerPorts, 'registry' | 'clock'>,
  input: Pick<Partner, 'code' | 'name'>,
): Promise<Partner> {
  const now = ports.clock.now();
  const partner = { ...input, createdAt: new Date(now).toISOString() };
  if (!(await ports.registry.createPartner(partner, now))) {
    throw conflict(
      'partner_exists',
      `A partner with code ${input.code} already exists; codes are unique regardless of case.`,
    );
  }
  return partner;
}

export const listPartners = (ports: Pick<PartnerPorts, 'registry'>) => ports.registry.listPartners();

/** A partner with its keys: what each may do, never the key itself (only its SHA-256 is stored). */
export async function partnerWithKeys(ports: Pick<PartnerPorts, 'registry'>, code: string) {
  const partner = await ports.registry.getPartner(code);
  if (!partner) throw notFound(`Partner ${code}`);
  return { ...partner, keys: await ports.registry.listKeys(code) };
}

/**
 * Issues an API key: all scopes unless some are named, optionally bound to one mobile user. The key
 * is in the answer only; the registry keeps its SHA-256.
 */
export async function issueKey(ports: PartnerPorts, code: string, input: z.output<typeof CreateKeySchema>) {
  if (!(await ports.registry.getPartner(code))) throw notFound(`Partner ${code}`);
  const secret = ports.random.apiKey();
  const now = ports.clock.now();
  const key: PartnerKey = {
    id: ports.random.id('key', now),
    partnerCode: code,
    scopes: input.scopes ? [...new Set(input.scopes)] : [...SCOPES],
    ...(input.mobileUser ? { mobileUser: input.mobileUser } : {}),
    ...(input.label ? { label: input.label } : {}),
    createdAt: new Date(now).toISOString(),
  };
  await ports.registry.addKey(key, sha256Hex(secret));
  const { partnerCode: _p, ...shown } = key;
  return { ...shown, key: secret };
}

/** Revokes a key at once (its lookup record goes); an unknown or revoked one is 404. */
export async function revokeKey(ports: Pick<PartnerPorts, 'registry' | 'clock'>, code: string, id: string) {
  const at = new Date(ports.clock.now()).toISOString();
  if (!(await ports.registry.revokeKey(code, id, at))) throw notFound(`Key ${id} of ${code}`);
}
