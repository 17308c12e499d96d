/**
 * The integration rules, the very schemas and checks the API runs (functions/core/integration.ts and integration-rules.ts), so
 * the console shows a broken rule while the operator types, in the API's own words. The API checks
 * again on submit; it stays the authority (e.g. for a duplicate name).
 */
import jsonata from 'jsonata';
import type * as z from 'zod/mini';
import { IntegrationInputSchema } from '../../functions/core/integration.js';
import { checkIntegrationRules } from '../../functions/core/integration-rules.js';
import { CreateKeySchema, CreatePartnerSchema } from '../../functions/core/partners.js';

export type Problems = Readonly<Record<string, string>>;

/**
 * The local hub may deliver to loopback addresses, a deployed stage never; the console is served by
 * the hub it manages, so its own address tells which.
 */
const loopbackHub = ['127.0.0.1', 'localhost', '[::1]'].includes(
  (globalThis as { location?: { hostname: string } }).location?.hostname ?? 'localhost',
);

/** Every schema problem, by top-level field, worded as the API's 400 words it (functions/core/parse.ts). */
function schemaProblems(schema: z.ZodMiniType, value: unknown): Problems | undefined {
  const r = schema.safeParse(value);
  if (r.success) return undefined;
  const problems: Record<string, string> = {};
  for (const issue of r.error.issues) {
    const path = issue.path.join('.') || '(body)';
    const top = issue.path[0];
    if (issue.code === 'unrecognized_keys') {
      const field = typeof top === 'string' ? top : (issue.keys[0] ?? '_');
      problems[field] ??= `Unknown property ${issue.keys.map((k) => `"${k}"`).join(', ')} at ${path}.`;
      continue;
    }
    problems[typeof top === 'string' ? top : '_'] ??= `${path}: ${issue.message}.`;
  }
  return problems;
}

/** The problems of an integration as it would be sent (empty: the API would take it). */
export function integrationProblems(draft: Record<string, unknown>): Problems {
  const problems = schemaProblems(IntegrationInputSchema, draft);
  if (problems) return problems;
  try {
    checkIntegrationRules(IntegrationInputSchema.parse(draft), {
      allowLoopback: loopbackHub,
      parseExpression: jsonata,
    });
  } catch (e) {
    const field = (e as { field?: unknown }).field;
    return { [typeof field === 'string' ? field : '_']: (e as Error).message };
  }
  return {};
}

export const partnerProblems = (draft: { code: string; name: string }): Problems =>
  schemaProblems(CreatePartnerSchema, draft) ?? {};

export const keyProblems = (draft: Record<string, unknown>): Problems =>
  schemaProblems(CreateKeySchema, draft) ?? {};

/** The fields an integration is created with; anything else the API shows (id, times, health) is its own. */
export const INTEGRATION_FIELDS: readonly string[] = Object.keys(IntegrationInputSchema.def.shape);
