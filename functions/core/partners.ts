import * as z from 'zod/mini';

export const SCOPES = ['messages', 'erp', 'device', 'entities'] as const;
export type Scope = (typeof SCOPES)[number];

export const PartnerCodeSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a partner code'));

export const CreatePartnerSchema = z.strictObject({
  code: PartnerCodeSchema,
  name: z.string().check(z.minLength(1), z.maxLength(256)),
});

export const CreateKeySchema = z.strictObject({
  scopes: z.optional(z.array(z.enum(SCOPES)).check(z.minLength(1), z.maxLength(SCOPES.length))),
  mobileUser: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  label: z.optional(z.string().check(z.maxLength(128))),
});

export interface Partner {
  code: string;
  name: string;
  createdAt: string;
}

export interface PartnerKey {
  id: string;
  partnerCode: string;
  scopes: Scope[];
  mobileUser?: string;
  label?: string;
  createdAt: string;
  revokedAt?: string;
}

/** What authentication learns from a key: whose it is and what it may do. */
export interface ApiKeyRecord {
  partnerCode: string;
  keyId: string;
  scopes: Scope[];
  mobileUser?: string;
}
