import * as z from 'zod/mini';
import {
  deliveryQueue as deliveryQueueDefinition,
  messagesTable,
  payloadBucket,
  registryTable,
} from '../lib/resources.js';
import { DeliveryQueue } from './adapters/delivery-queue.js';
import { MessageRepository } from './adapters/messages.js';
import { PayloadStore } from './adapters/payloads.js';
import { RegistryRepository } from './adapters/registry.js';
import { flag, loadConfig, required } from './config.js';

/**
 * The adapters a function needs, each built once per process from its own environment variable.
 * They are separate exports (not one object) so that a bundle holds only the AWS clients its handler
 * really uses, and a function bound to fewer resources still starts.
 */
let registryRepository: RegistryRepository | undefined;
let messageRepository: MessageRepository | undefined;
let payloadStore: PayloadStore | undefined;
let queue: DeliveryQueue | undefined;

const envOf = (name: string): string => loadConfig({ [name]: required() })[name] as string;

export function registry(): RegistryRepository {
  registryRepository ??= new RegistryRepository(envOf(registryTable.envVar));
  return registryRepository;
}

export function messages(): MessageRepository {
  messageRepository ??= new MessageRepository(envOf(messagesTable.envVar));
  return messageRepository;
}

export function payloads(): PayloadStore {
  payloadStore ??= new PayloadStore(envOf(payloadBucket.envVar));
  return payloadStore;
}

export function deliveryQueue(): DeliveryQueue {
  queue ??= new DeliveryQueue(envOf(deliveryQueueDefinition.envVar));
  return queue;
}

let loadedSettings: { ALLOW_LOOPBACK_OUTBOUND: boolean; PUBLIC_BASE_URL?: string | undefined } | undefined;

/** Settings that are not resources. Loopback delivery is allowed only where the local hub sets the flag. */
export function settings() {
  loadedSettings ??= loadConfig({
    ALLOW_LOOPBACK_OUTBOUND: flag(),
    PUBLIC_BASE_URL: z.optional(z.string()),
  });
  return loadedSettings;
}
