import { systemClock } from '../../core/clock.js';
import { invalidContentType, isAcceptedContentType } from '../../core/tokens.js';
import { communications, credentials, messages } from '../../deps.js';
import { authenticateAccessToken, viewCommunication } from '../../usecases/replication.js';
import { BEARER_CHALLENGE, ok, threeplHandler } from './respond.js';

/** GET /v1/communications/{CommunicationID}: the processing result of a post, for the partner that sent it. */
export const getCommunication = threeplHandler(
  async (req) => {
    if (!isAcceptedContentType(req.headers['content-type'])) throw invalidContentType();
    const grant = await authenticateAccessToken(
      { credentials: credentials(), clock: systemClock },
      req.headers.authorization,
    );
    const view = await viewCommunication(
      { communications: communications(), messages: messages(), clock: systemClock },
      grant.partnerCode,
      req.pathParameters.CommunicationID ?? '',
    );
    return ok({ ...view });
  },
  { challenge: BEARER_CHALLENGE, maxBodyBytes: 16 * 1024 },
);
