import { newId, systemClock } from '../../core/clock.js';
import { conflict, notFound } from '../../core/errors.js';
import { CreateKeySchema, CreatePartnerSchema, type PartnerKey, SCOPES } from '../../core/partners.js';
import { newApiKey, sha256Hex } from '../../core/secrets.js';
import { registry } from '../../deps.js';
import { adminHandler } from '../auth.js';
import { parseJsonBody, parseValue } from '../validation.js';

export const createPartner = adminHandler(async (req) => {
  const input = parseJsonBody(CreatePartnerSchema, req);
  const now = systemClock.now();
  const partner = { ...input, createdAt: new Date(now).toISOString() };
  if (!(await registry().createPartner(partner, now))) {
    throw conflict(
      'partner_exists',
      `A partner with code ${input.code} already exists; codes are unique regardless of case.`,
    );
  }
  return { status: 201, json: partner };
});

export const listPartners = adminHandler(async () => ({
  status: 200,
  json: { partners: await registry().listPartners() },
}));

export const getPartner = adminHandler(async (req) => {
  const code = req.pathParameters.code ?? '';
  const partner = await registry().getPartner(code);
  if (!partner) throw notFound(`Partner ${code}`);
  return { status: 200, json: { ...partner, keys: await registry().listKeys(code) } };
});

export const createKey = adminHandler(async (req) => {
  const code = req.pathParameters.code ?? '';
  const input = req.body.length ? parseJsonBody(CreateKeySchema, req) : parseValue(CreateKeySchema, {});
  if (!(await registry().getPartner(code))) throw notFound(`Partner ${code}`);
  const secret = newApiKey();
  const key: PartnerKey = {
    id: newId('key'),
    partnerCode: code,
    scopes: input.scopes ? [...new Set(input.scopes)] : [...SCOPES],
    ...(input.mobileUser ? { mobileUser: input.mobileUser } : {}),
    ...(input.label ? { label: input.label } : {}),
    createdAt: new Date().toISOString(),
  };
  await registry().addKey(key, sha256Hex(secret));
  const { partnerCode: _p, ...shown } = key;
  return { status: 201, json: { ...shown, key: secret } };
});

export const revokeKey = adminHandler(async (req) => {
  const { code = '', id = '' } = req.pathParameters;
  if (!(await registry().revokeKey(code, id, new Date().toISOString())))
    throw notFound(`Key ${id} of ${code}`);
  return { status: 204 };
});
