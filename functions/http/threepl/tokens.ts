import { systemClock } from '../../core/clock.js';
import { parseClientCredentialsRequest, scryptHasher } from '../../core/tokens.js';
import { credentials } from '../../deps.js';
import * as route from '../../routes/threepl/tokens.js';
import { issueToken } from '../../usecases/replication.js';
import { edge } from '../edge.js';
import type { HubRequest } from '../middleware.js';
import { NO_STORE, ok } from './respond.js';

const ports = () => ({ credentials: credentials(), passwords: scryptHasher, clock: systemClock });

/** GET /v1/generatetoken (seed 002): Basic credentials → AccessToken and ExpirationMs (its lifetime in ms). */
export const generateToken = edge(route.generateToken, ports, async ({ caller, request }, p) => {
  const issued = await issueToken(p, caller, request.sourceIp);
  return ok({ AccessToken: issued.accessToken, ExpirationMs: issued.expiresInMs }, NO_STORE);
});

/** POST /oauth2/token: the same tokens for clients that speak RFC 6749 (client credentials grant). */
export const oauthToken = edge(
  route.oauthToken,
  ports,
  async ({ body, request }, p) => {
    const issued = await issueToken(p, body, request.sourceIp);
    return ok(
      {
        access_token: issued.accessToken,
        token_type: 'Bearer',
        // RFC 6749 counts seconds; never more than the token really has.
        expires_in: Math.floor(issued.expiresInMs / 1000),
      },
      NO_STORE,
    );
  },
  {
    // The client's credentials: Basic, or client_id and client_secret in the form.
    readBody: (req: HubRequest) =>
      parseClientCredentialsRequest(req.headers['content-type'], req.body, req.headers.authorization),
  },
);
