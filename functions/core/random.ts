import { newId } from './clock.js';
import { newApiKey, newSigningSecret } from './secrets.js';

/** Randomness, injected into use cases as time is (core/clock.ts): ids, keys and secrets. */
export interface Randomness {
  /** A sortable id with this prefix, its time part from `now` (see newId). */
  id(prefix: string, now: number): string;
  /** A partner API key (`cdk_…`), shown once. */
  apiKey(): string;
  /** A Standard Webhooks signing secret (`whsec_…`), shown once. */
  signingSecret(): string;
}

export const systemRandom: Randomness = { id: newId, apiKey: newApiKey, signingSecret: newSigningSecret };
