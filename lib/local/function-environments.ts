import { type Environment, withEnvironment } from '../../functions/config.js';
import { type ResourceUse, routes, schedules, usesOf, workers } from '../../functions/routes.js';
import { environmentNames, type FunctionKind, scopedVariableNames } from '../function-environment.js';
import { SETTINGS } from '../resources.js';

/**
 * Each local function's own environment, as the stack gives it on AWS: the hub's variables that every
 * function shares (region, credentials, the emulators' endpoints, log settings) and, of the resource
 * and setting variables, only those its uses and kind name (lib/function-environment.ts). The admin
 * key's secret ARN has the key's hash as its local stand-in.
 */
export function functionEnvironments(hubEnvironment: Environment) {
  const everyUse: ResourceUse[] = [
    ...routes.flatMap((r) => usesOf(r)),
    ...workers.flatMap((w) => w.uses),
    ...schedules.flatMap((j) => j.uses),
  ];
  const scoped = new Set(scopedVariableNames(everyUse));
  const shared = Object.fromEntries(Object.entries(hubEnvironment).filter(([name]) => !scoped.has(name)));
  const made = new Map<string, Environment>();

  return (uses: readonly ResourceUse[], kind: FunctionKind): Environment => {
    const key = `${kind}:${[...uses].sort().join(',')}`;
    let environment = made.get(key);
    if (!environment) {
      const own: Record<string, string | undefined> = { ...shared };
      for (const name of environmentNames(uses, kind)) {
        const local = name === SETTINGS.adminKeySecretArn ? SETTINGS.adminKeySha256 : name;
        const value = hubEnvironment[local];
        if (value === undefined) throw new Error(`The local hub has no value for ${local}.`);
        own[local] = value;
      }
      environment = own;
      made.set(key, environment);
    }
    return environment;
  };
}

/** A handler that runs every invocation in `environment` (what a Lambda function's process.env is). */
export function inEnvironment<A extends unknown[], R>(
  handler: (...args: A) => R,
  environment: Environment,
): (...args: A) => R {
  return (...args: A) => withEnvironment(environment, () => handler(...args));
}
