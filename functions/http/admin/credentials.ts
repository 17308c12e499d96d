import { systemClock } from '../../core/clock.js';
import { CredentialsInputSchema } from '../../core/credentials.js';
import { scryptHasher } from '../../core/tokens.js';
import { credentials, registry } from '../../deps.js';
import { setCredentials } from '../../usecases/replication.js';
import { adminHandler } from '../auth.js';
import { parseJsonBody } from '../validation.js';

/** PUT /admin/partners/{code}/credentials: a partner's Basic credentials for the 3PL token API. */
export const putCredentials = adminHandler(async (req) => {
  const input = parseJsonBody(CredentialsInputSchema, req);
  await setCredentials(
    { registry: registry(), credentials: credentials(), passwords: scryptHasher, clock: systemClock },
    req.pathParameters.code ?? '',
    input,
  );
  return { status: 204 };
});
