/**
 * The hub's CloudWatch metrics (Contract v2, "Metrics"): one namespace, one dimension (the stage), and
 * each metric's unit. Declared once: functions/observability.ts emits them (EMF), lib/constructs/
 * monitoring.ts charts them and raises its alarms on them.
 */
export const METRICS_NAMESPACE = 'Crossdock';

/** The one dimension every metric carries: the function's STAGE. */
export const STAGE_DIMENSION = 'stage';

export const HUB_METRICS = {
  /** A message was stored and its delivery jobs queued (every face goes through storeMessage). */
  MessagesAccepted: 'Count',
  /** A delivery ended delivered (push, notify, apply, or an inbox item completed). */
  DeliveriesDelivered: 'Count',
  /** A delivery ended failed (last attempt, not retryable, closed, or dead-lettered). */
  DeliveriesFailed: 'Count',
  /** One attempt's measured duration (the partner's call, or applying an Inbound document). */
  AttemptLatencyMs: 'Milliseconds',
  /** From the message's acceptance to its delivery, for each delivery the hub made. */
  DeliveryAgeMs: 'Milliseconds',
  /** A sync packet was checked (and converted where its format asks) and made ready. */
  PacketsConverted: 'Count',
  /** A sync packet was refused or given up on. */
  PacketsFailed: 'Count',
  /**
   * Age of the oldest undelivered delivery: every minute, the RowSweep job's oldest message with a
   * retrying or held delivery (0 when there is none); and, from the delivery worker, the oldest job of
   * a batch left waiting for an in-flight permit (counted from when it was first queued). Read as
   * Maximum.
   */
  OldestUndeliveredAgeMs: 'Milliseconds',
} as const satisfies Record<string, 'Count' | 'Milliseconds'>;

export type HubMetric = keyof typeof HUB_METRICS;
