import * as z from 'zod/mini';
import { MAX_TOKEN_TTL_MS } from './tokens.js';

/** The longest username; a longer one in a Basic header names no credentials. */
export const MAX_USERNAME_CHARS = 128;

/**
 * Basic credentials of a partner for the 3PL token API. The username travels in a Basic header, so
 * it has no colon (RFC 7617) and no spaces or control characters; the password may hold anything
 * but control characters.
 */
export const CredentialsInputSchema = z.strictObject({
  username: z
    .string()
    .check(
      z.regex(
        new RegExp(`^[\\x21-\\x39\\x3b-\\x7e]{1,${MAX_USERNAME_CHARS}}$`),
        `must be 1 to ${MAX_USERNAME_CHARS} printable ASCII characters, no colon`,
      ),
    ),
  password: z
    .string()
    .check(z.minLength(8), z.maxLength(512), z.regex(/^\P{Cc}*$/u, 'must not contain control characters')),
  tokenTtlMs: z.optional(z.int().check(z.gte(1), z.lte(MAX_TOKEN_TTL_MS))),
});
export type CredentialsInput = z.output<typeof CredentialsInputSchema>;

/** The credentials as stored: the password only as its scrypt hash. */
export interface StoredCredential {
  username: string;
  partnerCode: string;
  passwordHash: string;
  /** A new id each time the operator sets the credentials; tokens name the id they were issued under. */
  credentialId: string;
  tokenTtlMs: number;
  updatedAt: string;
}
