import type { z } from 'zod/mini';
import { badRequest } from '../core/errors.js';

/** Parses a JSON body through a strict schema: unknown properties and prototype keys are a 400. */
export function parseJsonBody<S extends z.ZodMiniType>(schema: S, body: Buffer): z.output<S> {
  if (body.length === 0) throw badRequest('empty_body', 'The request needs a JSON body.');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'), (key, v) => {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        throw new SyntaxError(`the property "${key}" is not allowed`);
      }
      return v;
    });
  } catch (e) {
    throw badRequest('invalid_json', `The body is not valid JSON: ${(e as Error).message}`);
  }
  return parseValue(schema, value);
}

export function parseValue<S extends z.ZodMiniType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') || '(body)';
  if (issue?.code === 'unrecognized_keys') {
    throw badRequest(
      'unknown_property',
      `Unknown property ${issue.keys.map((k) => `"${k}"`).join(', ')} at ${path}.`,
    );
  }
  throw badRequest('invalid_field', `${path}: ${issue?.message ?? 'is invalid'}.`);
}
