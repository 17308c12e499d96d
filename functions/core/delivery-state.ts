/**
 * The delivery state machine, written once: the use cases ask it what a delivery may do next, and the
 * DynamoDB repository builds its ConditionExpressions from the same `from` lists, so a write can only
 * make a transition the machine allows, whoever races it.
 *
 *   queued ──claim──▶ (an attempt) ──answer──▶ retrying ──claim──▶ … ──▶ delivered | failed
 *   failed ──restart──▶ queued          (an operator's retry, or a redrive from the dead-letter queue)
 *   queued | retrying ──hold──▶ held ──release──▶ queued
 *                                        (its integration was disabled by endpoint health; enabled again)
 *
 * `held` is neither open nor finished: no attempt is made (none is used up) until the operator enables
 * the integration again, which releases it as `queued` with the attempts it had.
 */
export const DELIVERY_STATUSES = ['queued', 'retrying', 'held', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Statuses from which another attempt may still be made. */
export const OPEN_STATUSES = ['queued', 'retrying'] as const satisfies readonly DeliveryStatus[];

export type DeliveryTransition =
  /** Claims the next attempt number (the status stays). */
  | 'claim'
  /** An attempt's outcome: a retry is due later. */
  | 'retry'
  /** An attempt's outcome: the partner took it. */
  | 'deliver'
  /** An attempt's outcome, or the delivery closed without one (integration gone, attempts used up). */
  | 'fail'
  /** Its job reached the dead-letter queue: failed, marked so that a redrive restarts it. */
  | 'deadLetter'
  /** Starts a failed delivery again from attempt 1, in a new round. */
  | 'restart'
  /** Its integration is disabled (endpoint health): it waits, without an attempt, until enabled. */
  | 'hold'
  /** Its integration was enabled again: it goes out, with the attempts it had. */
  | 'release';

interface Rule {
  readonly from: readonly DeliveryStatus[];
  /** The status after the transition; absent when it stays as it was. */
  readonly to?: DeliveryStatus;
}

export const TRANSITIONS = {
  claim: { from: OPEN_STATUSES },
  retry: { from: OPEN_STATUSES, to: 'retrying' },
  deliver: { from: OPEN_STATUSES, to: 'delivered' },
  fail: { from: OPEN_STATUSES, to: 'failed' },
  deadLetter: { from: OPEN_STATUSES, to: 'failed' },
  restart: { from: ['failed'], to: 'queued' },
  hold: { from: OPEN_STATUSES, to: 'held' },
  release: { from: ['held'], to: 'queued' },
} as const satisfies { readonly [T in DeliveryTransition]: Rule };

/** The status that `transition` sets (every transition but `claim` sets one). */
export const statusAfter = <T extends Exclude<DeliveryTransition, 'claim'>>(
  transition: T,
): (typeof TRANSITIONS)[T]['to'] => TRANSITIONS[transition].to;

/** The statuses a delivery must be in for `transition` (what a conditional write checks). */
export const allowedFrom = (transition: DeliveryTransition): readonly DeliveryStatus[] =>
  TRANSITIONS[transition].from;

export const canTransition = (status: DeliveryStatus, transition: DeliveryTransition): boolean =>
  allowedFrom(transition).includes(status);

/**
 * A delivery that no attempt will change any more (until an operator restarts a failed one). A held
 * delivery is not finished: it waits for its integration to be enabled.
 */
export const isFinished = (status: DeliveryStatus): boolean =>
  !canTransition(status, 'claim') && !canTransition(status, 'release');
