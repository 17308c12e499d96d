import { systemClock } from '../../core/clock.js';
import {
  invalidContentType,
  isAcceptedContentType,
  parseBasicAuthorization,
  parseClientCredentialsRequest,
  scryptHasher,
} from '../../core/tokens.js';
import { credentials } from '../../deps.js';
import { issueToken } from '../../usecases/replication.js';
import { BASIC_CHALLENGE, NO_STORE, ok, threeplHandler } from './respond.js';

const tokenPorts = () => ({ credentials: credentials(), passwords: scryptHasher, clock: systemClock });

/** GET /v1/generatetoken (seed 002): Basic credentials → AccessToken and ExpirationMs (its lifetime in ms). */
export const generateToken = threeplHandler(
  async (req) => {
    if (!isAcceptedContentType(req.headers['content-type'])) throw invalidContentType();
    const issued = await issueToken(
      tokenPorts(),
      parseBasicAuthorization(req.headers.authorization),
      req.sourceIp,
    );
    return ok({ AccessToken: issued.accessToken, ExpirationMs: issued.expiresInMs }, NO_STORE);
  },
  { challenge: BASIC_CHALLENGE, maxBodyBytes: 16 * 1024 },
);

/** POST /oauth2/token: the same tokens for clients that speak RFC 6749 (client credentials grant). */
export const oauthToken = threeplHandler(
  async (req) => {
    const given = parseClientCredentialsRequest(
      req.headers['content-type'],
      req.body,
      req.headers.authorization,
    );
    const issued = await issueToken(tokenPorts(), given, req.sourceIp);
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
  { challenge: BASIC_CHALLENGE, maxBodyBytes: 16 * 1024, oauth: true },
);
