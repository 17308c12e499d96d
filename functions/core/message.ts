import type { DeliveryStatus } from './delivery-state.js';

/** Who sends what to whom: the routing parameters of seed 000. */
export interface Envelope {
  sender: string;
  receiver: string;
  doctype: string;
  version: string;
}

/** A stored message: immutable once accepted. */
export interface Message extends Envelope {
  id: string;
  size: number;
  sha256: string;
  contentType: string;
  receivedAt: string;
  /** The entity row version a trigger sent (Contract v2, "Triggers"); absent for posted documents. */
  source?: MessageSource;
}

/** Which version of which row a message carries. */
export interface MessageSource {
  entity: string;
  id: string;
  version: number;
}

/** The states and their transitions live in delivery-state.ts. */
export type { DeliveryStatus } from './delivery-state.js';
/** `apply`: an Inbound integration's delivery, which writes the document into entity rows. */
export type DeliveryMode = 'push' | 'notify' | 'pull' | 'apply';

export interface Attempt {
  n: number;
  round?: number;
  at: string;
  statusCode?: number;
  durationMs: number;
  error?: string;
}

/** One delivery per (message, integration). */
export interface Delivery {
  messageId: string;
  integrationId: string;
  mode: DeliveryMode;
  status: DeliveryStatus;
  /** Attempts started; an attempt is claimed before it is made, so a crash never repeats a number. */
  attemptCount: number;
  /** Bumped when an operator retries a failed delivery; attempts of each round are kept. */
  round?: number;
  /** Every attempt, oldest first. */
  attempts?: Attempt[];
  /** `webhook-id`: the same for every attempt, so receivers can de-duplicate. */
  webhookId: string;
  nextAttemptAt?: string;
  lastError?: string;
  /** Marked failed by the dead-letter handler; a redrive of its job starts it again. */
  deadLettered?: boolean;
  /**
   * The dead letters (SQS message ids) already marked on this delivery. The sweep leaves letters in
   * their queue for a redrive, so it sees them again: one already marked never fails the delivery
   * again after an operator restarted it.
   */
  deadLetters?: string[];
  response?: { statusCode: number; contentType?: string; body: string; truncated: boolean };
}

export type MessageStatus = 'accepted' | 'pending' | 'delivered' | 'failed';

/** The message's status follows from its deliveries, so it is derived, never stored. */
export function messageStatus(deliveries: readonly Delivery[]): MessageStatus {
  if (deliveries.some((d) => d.status === 'failed')) return 'failed';
  if (deliveries.length > 0 && deliveries.every((d) => d.status === 'delivered')) return 'delivered';
  // A held delivery (its integration disabled by endpoint health) keeps the message pending.
  if (deliveries.some((d) => d.attemptCount > 0 || d.status === 'held')) return 'pending';
  return 'accepted';
}

/** `webhook-id`: one per (message, integration), the same on every attempt, so receivers can de-duplicate. */
export const webhookIdOf = (messageId: string, integrationId: string) => `${messageId}.${integrationId}`;

/** What a partner is told about its message when it is accepted (and the head of every later view). */
export interface AcceptedMessage extends Envelope {
  id: string;
  status: 'accepted';
  size: number;
  sha256: string;
  receivedAt: string;
}

export function acceptedView(m: Message): AcceptedMessage {
  return {
    id: m.id,
    status: 'accepted',
    sender: m.sender,
    receiver: m.receiver,
    doctype: m.doctype,
    version: m.version,
    size: m.size,
    sha256: m.sha256,
    receivedAt: m.receivedAt,
  };
}
