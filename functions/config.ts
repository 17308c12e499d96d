import { AsyncLocalStorage } from 'node:async_hooks';
import * as z from 'zod/mini';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * On Lambda a function's environment is `process.env`. The local hub runs every function in one
 * process, so it runs each invocation inside `withEnvironment` with that function's own variables
 * (lib/function-environment.ts): a handler whose route forgot a use then fails locally as on AWS.
 */
const invocationEnvironment = new AsyncLocalStorage<Environment>();

export function withEnvironment<R>(environment: Environment, run: () => R): R {
  return invocationEnvironment.run(environment, run);
}

/** The environment of the function running now. */
export const environment = (): Environment => invocationEnvironment.getStore() ?? process.env;

/**
 * Reads the environment through a schema: a function missing a variable stops with a message that
 * names it instead of failing later on an undefined table name.
 */
export function loadConfig<S extends Record<string, z.ZodMiniType>>(shape: S): z.output<z.ZodMiniObject<S>> {
  const parsed = z.object(shape).safeParse(environment());
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Configuration is incomplete: set ${names}.`);
  }
  return parsed.data;
}

/** One required variable, with loadConfig's message when it is missing (cheap enough for every call). */
export function requiredEnv(name: string): string {
  const value = environment()[name];
  if (!value) throw new Error(`Configuration is incomplete: set ${name}.`);
  return value;
}

export const required = () => z.string().check(z.minLength(1));
export const flag = () =>
  z.pipe(
    z._default(z.enum(['true', 'false']), 'false'),
    z.transform((v) => v === 'true'),
  );
