import type { HubClient } from '../../client/index.js';
import { type Integration, ok } from './api.js';

/** Integration names for ids shown on other pages, fetched at most every 30 seconds. */
let cached: { at: number; client: HubClient; list: Promise<Integration[]> } | undefined;

export function integrationsOf(client: HubClient): Promise<Integration[]> {
  if (!cached || cached.client !== client || Date.now() - cached.at > 30_000) {
    const list = ok(client.GET('/admin/integrations')).then((r) => r.integrations);
    list.catch(() => {
      cached = undefined;
    });
    cached = { at: Date.now(), client, list };
  }
  return cached.list;
}

export function forgetIntegrations(): void {
  cached = undefined;
}

export const nameOf = (list: readonly Integration[] | undefined, id: string): string =>
  list?.find((i) => i.id === id)?.name ?? id;
