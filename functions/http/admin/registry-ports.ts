import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { systemRandom } from '../../core/random.js';
import { enablements, registry, settings } from '../../deps.js';

/**
 * What the operator's registry handlers work with: the admin key (their auth), the registry and its
 * enablements, time and ids, and where outbound URLs may point (loopback only on the local hub).
 * The REST registry (`/admin/integrations`), its OData face and the enablement admin share it.
 */
export const registryPorts = () => ({
  adminKey: adminKey(),
  registry: registry(),
  enablements: enablements(),
  clock: systemClock,
  random: systemRandom,
  rules: { allowLoopback: settings().allowLoopbackOutbound },
});
