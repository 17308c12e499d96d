import { systemClock } from '../../core/clock.js';
import { communications, credentials, messages } from '../../deps.js';
import * as route from '../../routes/threepl/communications.js';
import { viewCommunication } from '../../usecases/replication.js';
import { edge } from '../edge.js';
import { refusalRecorder } from '../refusals.js';
import { ok } from './respond.js';

/** GET /v1/communications/{CommunicationID}: the processing result of a post, for the partner that sent it. */
export const getCommunication = edge(
  route.getCommunication,
  () => ({
    tokens: credentials(),
    refusals: refusalRecorder(),
    communications: communications(),
    messages: messages(),
    clock: systemClock,
  }),
  async ({ params, caller }, p) =>
    ok({ ...(await viewCommunication(p, caller.partnerCode, params.CommunicationID)) }),
);
