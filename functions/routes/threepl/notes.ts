import {
  APIIDS,
  MAX_LINES,
  MAX_NODE_VALUE_CHARS,
  MAX_NODES_PER_LINE,
  MAX_REPLICATION_BODY_BYTES,
} from '../../core/replication.js';
import {
  DEFAULT_TOKEN_TTL_MS,
  FAILED_LOGIN_WINDOW_MS,
  LOGIN_LOCKOUT_MS,
  MAX_FAILED_LOGINS_PER_ADDRESS,
  MAX_FAILED_LOGINS_PER_USERNAME,
  MAX_TOKEN_TTL_MS,
} from '../../core/tokens.js';

const minutes = (ms: number) => `${ms / 60_000} minutes`;

/** The choices seed 002 and the contract leave open, for the OpenAPI description. */
export const THREEPL_NOTES: readonly string[] = [
  '3PL API (seed 002):',
  '- Every 3PL answer, errors included, is {"ResponseCode": <HTTP status>, "ResponseMessage", …}; a 400 for a post also lists "Errors": [{"Line","Field","Message"}] (Line is the 0-based index in repLines).',
  `- ExpirationMs is the token's lifetime in milliseconds from issue (the seed's 30000 is a duration, not an epoch); ${DEFAULT_TOKEN_TTL_MS} unless the operator sets tokenTtlMs (1 to ${MAX_TOKEN_TTL_MS}). POST /oauth2/token gives the same token with expires_in in whole seconds.`,
  `- Failed logins: ${MAX_FAILED_LOGINS_PER_ADDRESS} failures for one username from one source address within ${minutes(FAILED_LOGIN_WINDOW_MS)} lock that address out of that username for ${minutes(LOGIN_LOCKOUT_MS)}, and ${MAX_FAILED_LOGINS_PER_USERNAME} failures for one username from any addresses within the same window lock the username everywhere: 429 with Retry-After, even for the right password. A success from an address forgets that address's failures. Setting the credentials again lifts every lock of the username and ends every token issued before.`,
  '- Content-Type: application/json with any spelling of the UTF-8 charset (utf8, UTF-8), or none; anything else is 499. Tokens go in Authorization: Bearer <token>, or bare.',
  `- A post takes at most ${MAX_LINES} lines, ${MAX_NODES_PER_LINE} nodes per line, node values of at most ${MAX_NODE_VALUE_CHARS} characters (400), and a body of at most ${MAX_REPLICATION_BODY_BYTES / 1024 / 1024} MiB (413).`,
  `- Field dictionary: ships with the fields seed 002 shows (PH: pallet_#, coolstore_c; PD: pallet_#, grower_c; HI: Pallet, operation_date; the pallet number required); apiids with no fields (${APIIDS.slice(3).join(', ')}) take any node name until the operator gives them fields with PUT /admin/threepl/fields/{apiid}, which adds to the shipped fields. A node name may appear once per line.`,
  '- Each new line becomes a message (doctype replication, version = apiid, body = the line as JSON) to the receiver of every active Outbound integration for entity replication (or *) whose sender is the 3PL or unset, and whose version and filter admit it; a line that none carries makes the post 402, with nothing written. A line whose apiuuid the partner sent before (in any post, case-insensitive) is recorded as duplicate and not sent again. Lines of one post are stored 16 at a time: an integration with parallel: false keeps the order of posts, not of the lines within one post.',
  '- GET /v1/communications/{id}: Status of a line is received (on its way), duplicate, delivered, or failed (with Errors); the post is failed if a line failed, delivered when every line is delivered or a duplicate, else received.',
];
