/**
 * Operational events (Contract v2, "Health and operational events"): what an operator is told about
 * without asking. Use cases emit them through an `EventSink` port; the adapter keeps each for 30 days
 * (GET /admin/events) and publishes it to the events topic with the message attribute `type`.
 * Emitting never fails the work that caused it: a sink that cannot store an event logs and goes on.
 */
export const OPERATIONAL_EVENT_TYPES = [
  /** A delivery ended `failed` (attempts used up, or closed without one). */
  'delivery.exhausted',
  /** An integration's endpoint health became `disabled` (autoDisableAfterHours). */
  'integration.disabled',
  /** An operator enabled a disabled integration again; its held deliveries go out. */
  'integration.enabled',
  /** A sync packet could not be converted or stored (seed 003). */
  'packet.failed',
  /** A client's enablement waits for consent (seed 004). */
  'enablement.pending',
  /** A delivery's job reached a dead-letter queue and was marked failed. */
  'deadletter.marked',
] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

/** How long events are kept, in days (their TTL). */
export const EVENT_RETENTION_DAYS = 30;

export interface OperationalEvent {
  type: OperationalEventType;
  /** Epoch milliseconds. */
  at: number;
  integrationId?: string;
  messageId?: string;
  partner?: string;
  /** A short, capped, human-readable account (a reason, a count); never a secret or a payload. */
  detail: string;
}

/** The port through which use cases tell the operator; implemented in functions/adapters. */
export interface EventSink {
  emit(event: OperationalEvent): Promise<void>;
}

/** A sink that drops events: for use cases run where no operator is listening (unit tests, benches). */
export const discardEvents: EventSink = { emit: async () => {} };
