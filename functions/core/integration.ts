import { validateHeaderValue } from 'node:http';
import * as z from 'zod/mini';
import { CONSENT_TYPES } from './enablements.js';
import {
  DEFAULT_AUTO_DISABLE_AFTER_HOURS,
  type IntegrationHealth,
  MAX_AUTO_DISABLE_AFTER_HOURS,
} from './health.js';

/** The default retry schedule: attempts at 0 h, 1 h, 7 h and 19 h, four within 24 hours. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [3600, 21600, 43200];
export const MAX_RETRY_STEP_SECONDS = 43_200;
/** The longest entity (a message's doctype) and version; messages are held to the same. */
export const MAX_ENTITY_CHARS = 450;
export const MAX_VERSION_CHARS = 64;

const int32 = z.int().check(z.gte(-2147483648), z.lte(2147483647));
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const partnerCode = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a partner code'));
/**
 * Header names an integration may not set: the hub's own (signature, routing, framing) and the
 * hop-by-hop and request-framing names, which belong to the connection, not to the partner.
 */
const RESERVED_HEADER =
  /^(webhook-.*|host|content-(length|type|encoding|range)|transfer-encoding|connection|keep-alive|te|trailer|upgrade|expect|proxy-.*)$/i;

/**
 * Outbound headers an integration may add, checked with the rules Node's HTTP client applies when it
 * sends them (node:http's validators), so a header accepted here can always be sent: a CRLF or a
 * character outside Latin-1 in a value is refused at registration, not at the first attempt.
 */
const headerName = z.string().check(
  z.regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'),
  z.refine((n) => !RESERVED_HEADER.test(n), { message: 'is set by the hub or by the connection' }),
);
const headerValue = text(0, 4096).check(
  z.refine((v) => nodeAccepts(() => validateHeaderValue('x-check', v)), {
    message: 'must be a header value Node can send: no CR, LF or other control characters, Latin-1 only',
  }),
);
const nodeAccepts = (check: () => void) => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

export const DeliverySchema = z.strictObject({
  mode: z.enum(['push', 'notify', 'pull']),
  url: z.optional(text(1, 2048)),
  format: z._default(z.enum(['raw', 'json', 'xml']), 'raw'),
  template: z.optional(text(1, 65_536)),
  /**
   * JSONata over the delivery's outcome and the row it sent; an object result is merged into the row
   * as a new version when the delivery ends (Contract v2, "Triggers"; Teamogy's write-back).
   */
  writeBack: z.optional(text(1, 65_536)),
  headers: z.optional(z.record(headerName, headerValue)),
  timeoutMs: z.optional(z.int().check(z.gte(100), z.lte(30_000))),
  retrySchedule: z.optional(
    z.array(z.int().check(z.gte(0), z.lte(MAX_RETRY_STEP_SECONDS))).check(z.maxLength(19)),
  ),
});

const integrationFields = {
  name: text(1, 128),
  direction: z.enum(['Outbound', 'Inbound']),
  entity: text(1, MAX_ENTITY_CHARS),
  consentType: z.enum(CONSENT_TYPES, { error: `must be one of ${CONSENT_TYPES.join(', ')}` }),
  active: z._default(z.boolean(), true),
  notes: z.optional(z.nullable(z.string().check(z.maxLength(4000)))),
  elementId: z.optional(z.nullable(text(0, 256))),
  actionId: z.optional(z.nullable(int32)),
  filter: z.optional(z.nullable(text(1, 8192))),
  /** Minutes between sends (ticks counted from 00:00 UTC); null sends at once. */
  defaultSchedule: z.optional(z.nullable(z.int().check(z.gte(1), z.lte(10_080)))),
  system: z.optional(z.nullable(int32)),
  maxAttempts: z._default(z.int().check(z.gte(1), z.lte(20)), 4),
  includeUpdate: z._default(z.boolean(), false),
  continuous: z._default(z.boolean(), false),
  parallel: z._default(z.boolean(), true),
  batchSize: z._default(z.int().check(z.gte(1), z.lte(1000)), 10),
  managed: z._default(z.boolean(), false),
  clientScheduleEditable: z._default(z.boolean(), false),
  receiver: z.optional(partnerCode),
  sender: z.optional(z.nullable(partnerCode)),
  version: z.optional(z.nullable(text(1, MAX_VERSION_CHARS))),
  delivery: z.optional(DeliverySchema),
  /** Inbound only: how a document becomes rows (JSONata to one object or an array, each with an `id`). */
  inbound: z.optional(z.strictObject({ template: z.optional(text(1, 65_536)) })),
  /**
   * Endpoint health (Contract v2, "Health and operational events"; core/health.ts): hours of only failed deliveries, none delivered, after which an
   * Outbound push/notify integration is disabled; 0 at the first failed one; null never. Fractions
   * count (0.5 is half an hour).
   */
  autoDisableAfterHours: z._default(
    z.nullable(z.number().check(z.gte(0), z.lte(MAX_AUTO_DISABLE_AFTER_HOURS))),
    DEFAULT_AUTO_DISABLE_AFTER_HOURS,
  ),
};

export const IntegrationInputSchema = z.strictObject(integrationFields);
export type IntegrationInput = z.output<typeof IntegrationInputSchema>;

/**
 * PATCH accepts any subset of the fields, without defaults (an absent field keeps its value); the
 * merged result must then pass every rule again.
 */
export const IntegrationPatchSchema = z.strictObject(
  Object.fromEntries(
    Object.entries(integrationFields).map(([k, v]) => {
      const def = (v as z.ZodMiniType)._zod.def as { type: string; innerType?: z.ZodMiniType };
      return [k, z.optional(def.type === 'default' && def.innerType ? def.innerType : v)];
    }),
  ) as { [K in keyof typeof integrationFields]: z.ZodMiniOptional<z.ZodMiniType> },
);

export interface Integration extends IntegrationInput, IntegrationHealth {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** The integration as it is stored: with its signing secrets, which the API shows only once. */
export interface StoredIntegration extends Integration {
  secret: string;
  previousSecret?: string;
  previousSecretValidUntil?: string;
}

/**
 * What the API shows of an integration: never its signing secrets; its endpoint health always
 * (`ok` for one stored before health existed).
 */
export function shown(i: StoredIntegration): Integration & { previousSecretValidUntil?: string } {
  const { secret: _s, previousSecret: _p, ...rest } = i;
  return { ...rest, health: rest.health ?? 'ok' };
}

/** Seconds to wait before each attempt after the first. */
export function retryScheduleOf(i: Pick<IntegrationInput, 'maxAttempts' | 'delivery'>): readonly number[] {
  if (i.delivery?.retrySchedule) return i.delivery.retrySchedule;
  if (i.maxAttempts === 4) return DEFAULT_RETRY_SCHEDULE;
  // Other attempt counts spread the default 24 hours evenly, each step within SQS's 12-hour limit.
  const steps = i.maxAttempts - 1;
  return Array.from({ length: steps }, () => Math.min(MAX_RETRY_STEP_SECONDS, Math.floor(68_400 / steps)));
}
