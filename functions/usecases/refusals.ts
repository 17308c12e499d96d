import type { RefusalLog } from '../adapters/refusals.js';
import type { RegistryRepository } from '../adapters/registry.js';
import type { Clock } from '../core/clock.js';
import { notFound } from '../core/errors.js';
import { REFUSAL_RETENTION_DAYS, type RefusedRequest, refusalRecord } from '../core/refusals.js';
import { sha256Hex } from '../core/secrets.js';

export interface RefusalPorts {
  registry: Pick<RegistryRepository, 'getPartner' | 'findKeyByHash'>;
  refusals: Pick<RefusalLog, 'record'>;
  clock: Clock;
}

/**
 * Keeps a refused request under the partner it can be tied to: the one it authenticated as; else the
 * owner of the key it presented (a key without the route's scope, or one the edge refused before
 * reading it, as for 413); else the first partner it names (`sender`, the path's app area) that
 * exists. A request tied to no partner is not kept. Costs one small write, and a read or two to tie it.
 */
export async function recordRefusal(
  ports: RefusalPorts,
  r: RefusedRequest,
  requestId: string,
): Promise<void> {
  const partner = r.partner ?? (await partnerOf(ports, r));
  if (!partner) return;
  await ports.refusals.record(partner, refusalRecord(r, ports.clock.now()), requestId);
}

async function partnerOf(ports: RefusalPorts, r: RefusedRequest): Promise<string | undefined> {
  if (r.key) {
    const key = await ports.registry.findKeyByHash(sha256Hex(r.key));
    if (key) return key.partnerCode;
  }
  for (const code of r.named) if (await ports.registry.getPartner(code)) return code;
  return undefined;
}

/** GET /admin/partners/{code}/requests: the last REFUSAL_RETENTION_DAYS days, newest first. */
export async function refusedRequests(
  ports: {
    registry: Pick<RegistryRepository, 'getPartner'>;
    refusals: Pick<RefusalLog, 'list'>;
    clock: Clock;
  },
  code: string,
  limit: number,
) {
  if (!(await ports.registry.getPartner(code))) throw notFound(`Partner ${code}`);
  const since = new Date(ports.clock.now() - REFUSAL_RETENTION_DAYS * 86_400_000).toISOString();
  return { requests: await ports.refusals.list(code, since, limit) };
}
