import * as z from 'zod/mini';

/**
 * Reads the environment once, at cold start, through a schema: a function missing a variable stops
 * with a message that names it instead of failing later on an undefined table name.
 */
export function loadConfig<S extends Record<string, z.ZodMiniType>>(shape: S): z.output<z.ZodMiniObject<S>> {
  const parsed = z.object(shape).safeParse(process.env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Configuration is incomplete: set ${names}.`);
  }
  return parsed.data;
}

export const required = () => z.string().check(z.minLength(1));
export const flag = () =>
  z.pipe(
    z._default(z.enum(['true', 'false']), 'false'),
    z.transform((v) => v === 'true'),
  );
