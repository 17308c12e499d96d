import type { QueueName, QueueSource } from '../../functions/route-types.js';
import {
  deliveryQueue,
  orderedDeliveryQueue,
  packetQueue,
  type QueueDefinition,
  queues,
  uploadQueue,
} from '../resources.js';

/**
 * How the names that routes and workers use for queues (functions/route-types.ts) map onto the
 * definitions in lib/resources.ts. The records are typed by QueueName and QueueSource, so a queue
 * added to either union without a line here fails to compile; `checkQueueSources` catches the other
 * direction (a definition in `queues` that no name reaches) when the stack is built.
 */

/** Each queue by the name routes and workers use for it. */
export const QUEUE_BY_NAME: Readonly<Record<QueueName, QueueDefinition>> = {
  deliveryQueue,
  orderedDeliveryQueue,
  uploadQueue,
  packetQueue,
};

/** The dead-letter queue behind each queue, by the name workers consume it under. */
export const DEAD_LETTER_BY_SOURCE: Readonly<Record<Exclude<QueueSource, QueueName>, QueueDefinition>> = {
  deliveryDeadLetter: deliveryQueue,
  orderedDeliveryDeadLetter: orderedDeliveryQueue,
  uploadDeadLetter: uploadQueue,
  packetDeadLetter: packetQueue,
};

/** What a QueueSource names: a queue definition, and whether it is that queue's dead-letter queue. */
export interface QueueSourceTarget {
  readonly definition: QueueDefinition;
  readonly deadLetter: boolean;
}

export const isQueueName = (name: string): name is QueueName => Object.hasOwn(QUEUE_BY_NAME, name);

export const isQueueSource = (name: string): name is QueueSource =>
  isQueueName(name) || Object.hasOwn(DEAD_LETTER_BY_SOURCE, name);

export function queueSourceTarget(source: QueueSource): QueueSourceTarget {
  return isQueueName(source)
    ? { definition: QUEUE_BY_NAME[source], deadLetter: false }
    : { definition: DEAD_LETTER_BY_SOURCE[source], deadLetter: true };
}

/** Every QueueSource, queues first. */
export const QUEUE_SOURCES: readonly QueueSource[] = [
  ...(Object.keys(QUEUE_BY_NAME) as QueueName[]),
  ...(Object.keys(DEAD_LETTER_BY_SOURCE) as Exclude<QueueSource, QueueName>[]),
];

/** The env var through which a function learns the URL of a queue or dead-letter queue. */
export function queueSourceEnvVar(source: QueueSource): string {
  const { definition, deadLetter } = queueSourceTarget(source);
  return deadLetter ? definition.deadLetter.envVar : definition.envVar;
}

/**
 * Refuses a mapping that disagrees with lib/resources.ts: every definition in `queues` must have
 * exactly one name and one dead-letter name, and every name must point into `queues`.
 */
export function checkQueueSources(definitions: readonly QueueDefinition[] = queues): void {
  const problems: string[] = [];
  for (const [label, record] of [
    ['queue', QUEUE_BY_NAME],
    ['dead-letter', DEAD_LETTER_BY_SOURCE],
  ] as const) {
    const values = Object.values(record);
    for (const [name, def] of Object.entries(record)) {
      if (!definitions.includes(def))
        problems.push(`${label} name ${name} points at ${def.id}, which is not in queues`);
    }
    for (const def of definitions) {
      const count = values.filter((v) => v === def).length;
      if (count !== 1) problems.push(`${def.id} has ${count} ${label} names (expected 1)`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `lib/constructs/queue-sources.ts disagrees with lib/resources.ts queues: ${problems.join('; ')}.`,
    );
  }
}
