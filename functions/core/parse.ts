import type { z } from 'zod/mini';
import { badRequest } from './errors.js';
import { capReason } from './reason.js';

/** Marks an issue whose message is the whole answer: a query parameter's own (functions/routes/schemas.ts). */
export const AS_IS = { asIs: true } as const;

/**
 * A value read through a schema, or the 400 that names the first problem. Unknown properties are
 * `unknown_property`; a problem whose issue carries AS_IS (a query parameter's own message) is
 * answered as it is, `invalid_parameter`; a path parameter's as `<name> <problem>.`,
 * `invalid_parameter`; any other as `<field>: <problem>.`, `invalid_field`.
 */
export function parseValue<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  what: 'body' | 'query' | 'path' = 'body',
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') || '(body)';
  const top = issue?.path[0];
  if (issue?.code === 'unrecognized_keys') {
    throw badRequest(
      'unknown_property',
      capReason(`Unknown property ${issue.keys.map((k) => `"${k}"`).join(', ')} at ${path}.`),
      typeof top === 'string' ? top : issue.keys[0],
    );
  }
  const message = issue?.message ?? 'is invalid';
  if (issue?.code === 'custom' && issue.params?.asIs) throw badRequest('invalid_parameter', message);
  if (what === 'path') throw badRequest('invalid_parameter', capReason(`${path} ${message}.`));
  throw badRequest(
    'invalid_field',
    capReason(`${path}: ${message}.`),
    typeof top === 'string' ? top : undefined,
  );
}
