import { CredentialsInputSchema } from '../core/credentials.js';
import {
  APIIDS,
  FieldExtensionSchema,
  MAX_LINES,
  MAX_NODE_VALUE_CHARS,
  MAX_NODES_PER_LINE,
  MAX_REPLICATION_BODY_BYTES,
  ReplicationPostSchema,
} from '../core/replication.js';
import {
  DEFAULT_TOKEN_TTL_MS,
  FAILED_LOGIN_WINDOW_MS,
  LOGIN_LOCKOUT_MS,
  MAX_FAILED_LOGINS_PER_ADDRESS,
  MAX_FAILED_LOGINS_PER_USERNAME,
  MAX_TOKEN_TTL_MS,
} from '../core/tokens.js';
import { h, type RouteDefinition } from '../route-types.js';

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

/** The 3PL face (seed 002): its paths, header rules, field names and status codes. */
export const threeplRoutes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/v1/generatetoken',
    handler: h('http/threepl/tokens.ts', 'generateToken'),
    auth: 'basic',
    summary: 'An access token for Basic credentials (ExpirationMs: the token’s lifetime in milliseconds)',
    uses: ['registry:write'],
    responses: {
      200: '{"ResponseCode":200,"ResponseMessage":"OK","AccessToken","ExpirationMs"}',
      401: 'credentials missing, malformed or wrong',
      429: 'too many failed logins for this username (Retry-After)',
      499: 'a Content-Type other than JSON',
      500: 'server error',
    },
  },
  {
    method: 'POST',
    path: '/oauth2/token',
    handler: h('http/threepl/tokens.ts', 'oauthToken'),
    auth: 'basic',
    summary:
      'RFC 6749 client credentials grant: grant_type=client_credentials, client id/secret = the 3PL credentials (Basic or in the form)',
    uses: ['registry:write'],
    rawBody: 'application/x-www-form-urlencoded',
    responses: {
      200: '{"access_token","token_type":"Bearer","expires_in"} (seconds), plus ResponseCode and ResponseMessage',
      400: 'invalid_request or unsupported_grant_type',
      401: 'invalid_client',
      429: 'too many failed logins for this client id (Retry-After)',
      500: 'server error',
    },
  },
  {
    method: 'POST',
    path: '/v1/replicationpost',
    handler: h('http/threepl/replication.ts', 'replicationPost'),
    auth: 'bearerToken',
    summary: 'Replication lines (pallets, orders, loadouts) for delivery through the 3PL’s integrations',
    // The same resources as POST /v1/messages: lines go through the same storeMessage.
    uses: [
      'registry:read',
      'messages:write',
      'payloads:write',
      'deliveryQueue:send',
      'orderedDeliveryQueue:send',
    ],
    body: ReplicationPostSchema,
    responses: {
      200: '{"ResponseCode":200,"ResponseMessage":"OK","CommunicationID"}',
      400: 'incomplete input: the message and Errors name the line and field',
      401: 'no token',
      402: 'input in order, not processed: no integration carries the lines (nothing is written)',
      403: 'token invalid or expired',
      413: `body over ${MAX_REPLICATION_BODY_BYTES / 1024 / 1024} MiB`,
      499: 'a Content-Type other than JSON',
      500: 'server error',
    },
    memoryMb: 512,
  },
  {
    method: 'GET',
    path: '/v1/communications/{CommunicationID}',
    handler: h('http/threepl/communications.ts', 'getCommunication'),
    auth: 'bearerToken',
    summary: 'The processing result of a post and of each of its lines (the sending 3PL only)',
    uses: ['registry:read', 'messages:read'],
    responses: {
      200: '{"ResponseCode":200,"ResponseMessage":"OK","CommunicationID","Status","ReceivedAt","Lines":[{"apiuuid","apiid","Status","Errors"?}]}',
      401: 'no token',
      403: 'token invalid or expired',
      404: 'unknown, or another partner’s',
      499: 'a Content-Type other than JSON',
    },
  },
  {
    method: 'PUT',
    path: '/admin/partners/{code}/credentials',
    handler: h('http/admin/credentials.ts', 'putCredentials'),
    auth: 'admin',
    summary:
      'Set a partner’s Basic credentials for the 3PL token API (password stored as scrypt; ends earlier tokens)',
    uses: ['adminKey:read', 'registry:write'],
    body: CredentialsInputSchema,
    responses: {
      204: 'set',
      400: 'invalid body',
      401: 'admin key missing or wrong',
      404: 'unknown partner',
      409: 'the username belongs to another partner',
    },
  },
  {
    method: 'GET',
    path: '/admin/threepl/fields',
    handler: h('http/threepl/fields.ts', 'getFieldDictionaries'),
    auth: 'admin',
    summary: 'The 3PL field dictionary in force for each apiid',
    uses: ['adminKey:read', 'registry:read'],
    responses: {
      200: '{"dictionaries":[{"apiid","fields","required","open"}]}',
      401: 'admin key missing or wrong',
    },
  },
  {
    method: 'PUT',
    path: '/admin/threepl/fields/{apiid}',
    handler: h('http/threepl/fields.ts', 'putFieldDictionary'),
    auth: 'admin',
    summary:
      'Add fields (and required fields) to an apiid’s dictionary; replaces the earlier addition, [] goes back to the shipped fields',
    uses: ['adminKey:read', 'registry:write'],
    body: FieldExtensionSchema,
    responses: {
      200: 'the dictionary in force {"apiid","fields","required","open"}',
      400: 'invalid body, or a required field that is not a field',
      401: 'admin key missing or wrong',
      404: 'not one of the eight apiids',
    },
  },
];
