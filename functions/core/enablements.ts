import * as z from 'zod/mini';
import { badRequest, conflict } from './errors.js';
import type { Integration } from './integration.js';
import { capReason } from './reason.js';

/**
 * Enablements (Contract v2, "Enablements"; seed 004's managed integrations): a managed integration is
 * kept by the operator and routes only for the clients that switched it on for themselves. The rules
 * here decide an enablement's status; where it is stored and who may ask is the use case's.
 */

/** Who must agree before an enablement routes: nobody, the operator, or the integration's receiver. */
export const CONSENT_TYPES = ['None', 'Operator', 'Receiver'] as const;
export type ConsentType = (typeof CONSENT_TYPES)[number];

export const ENABLEMENT_STATUSES = ['active', 'pending_consent', 'rejected'] as const;
export type EnablementStatus = (typeof ENABLEMENT_STATUSES)[number];

/** A client's own schedule, in minutes: the same range as an integration's defaultSchedule. */
export const ScheduleSchema = z.nullable(z.int().check(z.gte(1), z.lte(10_080)));

/** One change of an enablement, for the operator's view: who did what, when. */
export interface EnablementChange {
  at: string;
  /** `client:<code>`, `receiver:<code>` or `operator`. */
  by: string;
  action: 'enabled' | 'schedule_changed' | 'consent_granted' | 'consent_rejected' | 'consent_revoked';
  note?: string;
}

export interface Enablement {
  id: string;
  integrationId: string;
  /** The client that switched the integration on: its sender (Outbound) or receiver (Inbound). */
  partner: string;
  /** The integration's direction: an Inbound enablement makes the client the receiver of its routes. */
  direction?: 'Outbound' | 'Inbound';
  status: EnablementStatus;
  /** The client's own schedule (minutes), or null for the integration's. */
  schedule: number | null;
  createdAt: string;
  updatedAt: string;
  history: EnablementChange[];
}

/** The most changes an enablement keeps; older ones drop off (the item stays far below 400 KB). */
export const MAX_ENABLEMENT_HISTORY = 50;

/** Why a delivery of a managed integration ends when its client no longer has it switched on. */
export const DISABLED_BY_CLIENT = 'disabled by the client';
export const CONSENT_REVOKED = 'consent was revoked';

/** A new enablement's status: active at once only when no consent is needed. */
export function initialStatus(consentType: string): EnablementStatus {
  return consentType === 'None' ? 'active' : 'pending_consent';
}

/** A client may choose its own schedule only on an integration that allows it. */
export function checkClientSchedule(
  integration: Pick<Integration, 'clientScheduleEditable'>,
  schedule: number | null | undefined,
): void {
  if (schedule !== undefined && schedule !== null && !integration.clientScheduleEditable) {
    throw badRequest(
      'invalid_enablement',
      'schedule: this integration does not let clients set their own schedule (clientScheduleEditable is false).',
    );
  }
}

/**
 * The status after a consent decision. Pending → active or rejected; an active one that is refused
 * is revoked (it stops routing, as a DELETE does); granting an active one again changes nothing. A
 * rejected enablement stays rejected: the client deletes it and enables again, which asks anew.
 */
export function decideConsent(
  current: EnablementStatus,
  granted: boolean,
): { status: EnablementStatus; action: EnablementChange['action'] } | 'unchanged' {
  if (current === 'pending_consent') {
    return granted
      ? { status: 'active', action: 'consent_granted' }
      : { status: 'rejected', action: 'consent_rejected' };
  }
  if (current === 'active') return granted ? 'unchanged' : { status: 'rejected', action: 'consent_revoked' };
  throw conflict(
    'enablement_rejected',
    'Consent to this enablement was refused; the client deletes it and enables the integration again to ask anew.',
  );
}

/** Appends a change, keeping the newest MAX_ENABLEMENT_HISTORY, with the note capped. */
export function withChange(e: Enablement, change: EnablementChange): EnablementChange[] {
  const capped = change.note === undefined ? change : { ...change, note: capReason(change.note) };
  return [...e.history, capped].slice(-MAX_ENABLEMENT_HISTORY);
}

/** The client a managed integration carries a message for: its sender, or its receiver for Inbound. */
export const clientOf = (
  i: { direction: 'Outbound' | 'Inbound' },
  m: { sender: string; receiver: string },
): string => (i.direction === 'Inbound' ? m.receiver : m.sender);

/** Why a managed integration's delivery for `partner` may no longer go, or undefined when it may. */
export function stoppedReason(e: Pick<Enablement, 'status'> | undefined): string | undefined {
  if (!e) return DISABLED_BY_CLIENT;
  if (e.status === 'active') return undefined;
  return e.status === 'rejected' ? CONSENT_REVOKED : 'consent is pending';
}
