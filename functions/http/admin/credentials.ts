import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { scryptHasher } from '../../core/tokens.js';
import { credentials, registry } from '../../deps.js';
import * as route from '../../routes/admin/credentials.js';
import { setCredentials } from '../../usecases/replication.js';
import { edge } from '../edge.js';

/** PUT /admin/partners/{code}/credentials: a partner's Basic credentials for the 3PL token API. */
export const putCredentials = edge(
  route.putCredentials,
  () => ({
    adminKey: adminKey(),
    registry: registry(),
    credentials: credentials(),
    passwords: scryptHasher,
    clock: systemClock,
  }),
  ({ params, body }, p) => setCredentials(p, params.code, body),
);
