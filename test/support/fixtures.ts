import type { StoredIntegration } from '../../functions/core/integration.js';

/** An active push integration erp → wms for doctype `order`, with FinanceKey's defaults. */
export function pushIntegration(overrides: Partial<StoredIntegration> = {}): StoredIntegration {
  return {
    id: 'int_1',
    name: 'orders',
    direction: 'Outbound',
    entity: 'order',
    consentType: 'None',
    active: true,
    maxAttempts: 4,
    includeUpdate: false,
    continuous: false,
    parallel: true,
    batchSize: 10,
    autoDisableAfterHours: 120,
    managed: false,
    clientScheduleEditable: false,
    receiver: 'wms',
    delivery: { mode: 'push', url: 'https://wms.example.com/in', format: 'raw' },
    createdAt: '',
    updatedAt: '',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ...overrides,
  };
}

/** A 2-byte JSON order from erp to wms, as storeMessage takes it. */
export const smallOrder = (id: string) => ({
  id,
  sender: 'erp',
  receiver: 'wms',
  doctype: 'order',
  version: '',
  body: Buffer.from('{}'),
  contentType: 'application/json',
});

/**
 * Endpoint health ports that record nothing: for deliverOnce tests about something else (no
 * integration of theirs is disabled, and no health write matters to them).
 */
export const noHealth = {
  registry: {
    startFailing: async () => true,
    recover: async () => true,
    disable: async () => true,
    getIntegration: async () => undefined,
  },
  held: {
    holdDelivery: async () => true,
    releaseDelivery: async () => true,
    dropHeldEntries: async () => {},
  },
};
