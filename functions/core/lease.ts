import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { wholeNumber } from './numbers.js';

/**
 * Leases for mailboxes (the inbox, ERP and device packets): a reader takes an item for a visibility
 * timeout and gets a receipt handle; until the lease ends nobody else sees the item, and only the
 * latest handle may complete it. The storage adapter enforces both with conditional writes built from
 * these rules, so two readers can never hold one item at once.
 */
export const DEFAULT_VISIBILITY_SECONDS = 900;
export const MAX_VISIBILITY_SECONDS = 43_200;

export interface Lease {
  receiptHandle: string;
  /** Epoch milliseconds. */
  leaseUntil: number;
}

/**
 * A receipt handle names the item's partition (`scope`, e.g. an integration id) so completing needs
 * only the id and the handle, and carries 128 random bits so it cannot be guessed.
 */
export function newLease(scope: string, now: number, visibilitySeconds: number): Lease {
  return {
    receiptHandle: `${scope}.${randomBytes(16).toString('base64url')}`,
    leaseUntil: now + visibilitySeconds * 1000,
  };
}

/** The scope a receipt handle was issued for, or undefined when it is not one of ours. */
export function scopeOfHandle(handle: string): string | undefined {
  const dot = handle.lastIndexOf('.');
  return dot > 0 && /^[A-Za-z0-9_-]{22}$/.test(handle.slice(dot + 1)) ? handle.slice(0, dot) : undefined;
}

/** Reads `visibilityTimeout` from a query: 1 s to 12 h, default 15 minutes. */
export function visibilitySeconds(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return DEFAULT_VISIBILITY_SECONDS;
  return wholeNumber(raw, 1, MAX_VISIBILITY_SECONDS);
}

export interface LeaseItemState {
  leaseUntil?: number;
  receiptHandle?: string;
}

/** May a reader take this item now? (The adapter's condition expression says the same.) */
export const isLeasable = (item: LeaseItemState, now: number) => (item.leaseUntil ?? 0) <= now;

/** May this handle complete the item now? Only the latest handle, and only while its lease lasts. */
export const canComplete = (item: LeaseItemState, handle: string, now: number) =>
  item.receiptHandle === handle && (item.leaseUntil ?? 0) > now;

/** The most items one lease or done call handles. */
export const MAX_LEASE_BATCH = 100;

/** The body of a done call (inbox and ERP/device packets): `[{"id","receiptHandle"}]`. */
export const DoneBodySchema = z
  .array(
    z.strictObject({ id: z.string().check(z.minLength(1)), receiptHandle: z.string().check(z.minLength(1)) }),
  )
  .check(z.minLength(1), z.maxLength(MAX_LEASE_BATCH));
