import { z } from 'zod/mini';
import { deliveryQueue, messagesTable, payloadBucket, registryTable } from '../lib/resources.js';
import { DeliveryQueue } from './adapters/delivery-queue.js';
import { MessageRepository } from './adapters/messages.js';
import { PayloadStore } from './adapters/payloads.js';
import { RegistryRepository } from './adapters/registry.js';
import { flag, loadConfig, required } from './config.js';

/**
 * The adapters each function needs, built once per process from its environment. Each getter reads
 * only the variables of its own resource, so a function bound to fewer resources still starts.
 */
let registry: RegistryRepository | undefined;
let messages: MessageRepository | undefined;
let payloads: PayloadStore | undefined;
let queue: DeliveryQueue | undefined;

export const deps = {
  registry: () =>
    (registry ??= new RegistryRepository(
      loadConfig({ [registryTable.envVar]: required() })[registryTable.envVar] as string,
    )),
  messages: () =>
    (messages ??= new MessageRepository(
      loadConfig({ [messagesTable.envVar]: required() })[messagesTable.envVar] as string,
    )),
  payloads: () =>
    (payloads ??= new PayloadStore(
      loadConfig({ [payloadBucket.envVar]: required() })[payloadBucket.envVar] as string,
    )),
  deliveryQueue: () =>
    (queue ??= new DeliveryQueue(
      loadConfig({ [deliveryQueue.envVar]: required() })[deliveryQueue.envVar] as string,
    )),
};

let loadedSettings: { ALLOW_LOOPBACK_OUTBOUND: boolean; PUBLIC_BASE_URL?: string | undefined } | undefined;

/** Settings that are not resources. Loopback delivery is allowed only where the local hub sets the flag. */
export const settings = () =>
  (loadedSettings ??= loadConfig({
    ALLOW_LOOPBACK_OUTBOUND: flag(),
    PUBLIC_BASE_URL: z.optional(z.string()),
  }));
