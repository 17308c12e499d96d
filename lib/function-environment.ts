import type { ResourceUse, TopicName } from '../functions/route-types.js';
import { isQueueSource, queueSourceEnvVar } from './constructs/queue-sources.js';
import {
  eventsTopic,
  messagesTable,
  packetTopic,
  payloadBucket,
  registryTable,
  SETTINGS,
  type TopicDefinition,
} from './resources.js';

/**
 * Which variables a function gets, as plain declarations (no CDK): the stack's HubFunction sets
 * exactly these on AWS (test/infra checks the synthesized template against them), and the local hub
 * runs each handler with exactly these, so a route that forgot a use fails on a laptop as it would on
 * AWS instead of borrowing another function's variable.
 */

/** The topics of lib/resources.ts by name: a TopicName without a line here fails to compile. */
export const TOPIC_BY_NAME: Readonly<Record<TopicName, TopicDefinition>> = {
  packetTopic,
  eventsTopic,
};

/** The variable through which a function finds the resource a use names. */
export function envVarOfUse(use: ResourceUse): string {
  const name = use.slice(0, use.lastIndexOf(':'));
  switch (name) {
    case 'registry':
      return registryTable.envVar;
    case 'messages':
    case 'requests':
      return messagesTable.envVar;
    case 'payloads':
    case 'packets':
      return payloadBucket.envVar;
    case 'adminKey':
      return SETTINGS.adminKeySecretArn;
  }
  if (use.endsWith(':publish') && Object.hasOwn(TOPIC_BY_NAME, name)) {
    return TOPIC_BY_NAME[name as TopicName].envVar;
  }
  if (isQueueSource(name)) return queueSourceEnvVar(name);
  throw new Error(`No variable for resource use ${JSON.stringify(use)}.`);
}

/** What runs a function: an API route, a queue worker or a scheduled job. */
export type FunctionKind = 'route' | 'worker' | 'job';

/**
 * The settings each kind gets besides its resources. Workers and jobs link back to the API (notify
 * webhooks, write-backs); routes answer through it and need no link to it.
 */
export const SETTINGS_OF_KIND: Readonly<Record<FunctionKind, readonly string[]>> = {
  route: [SETTINGS.stage],
  worker: [SETTINGS.stage, SETTINGS.publicBaseUrl],
  job: [SETTINGS.stage, SETTINGS.publicBaseUrl],
};

/** Every variable a function of `kind` with `uses` is given, sorted. */
export function environmentNames(uses: readonly ResourceUse[], kind: FunctionKind): string[] {
  return [...new Set([...SETTINGS_OF_KIND[kind], ...uses.map(envVarOfUse)])].sort();
}

/**
 * Every variable that some function is given and another is not: what the local hub keeps out of a
 * handler's environment unless its own uses and kind grant it.
 */
export function scopedVariableNames(allUses: readonly ResourceUse[]): string[] {
  return [
    ...new Set([
      ...Object.values(SETTINGS_OF_KIND).flat(),
      ...allUses.map(envVarOfUse),
      SETTINGS.adminKeySha256,
    ]),
  ].sort();
}
