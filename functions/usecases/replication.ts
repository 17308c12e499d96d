import { MESSAGE_RETENTION_DAYS } from '../../lib/resources.js';
import type { CommunicationLine, CommunicationRepository } from '../adapters/communications.js';
import type { CredentialRepository, FieldDictionaryRepository } from '../adapters/credentials.js';
import type { EnablementRepository } from '../adapters/enablements.js';
import type { MessageRepository } from '../adapters/messages.js';
import type { RegistryRepository } from '../adapters/registry.js';
import { type Clock, newId } from '../core/clock.js';
import { type CredentialsInput, MAX_USERNAME_CHARS, type StoredCredential } from '../core/credentials.js';
import { badRequest, conflict, HubError, notFound } from '../core/errors.js';
import type { StoredIntegration } from '../core/integration.js';
import {
  APIIDS,
  type ApiId,
  apiuuidKey,
  checkExtension,
  checkFields,
  communicationKey,
  communicationStatus,
  effectiveDictionary,
  type FieldDictionary,
  type FieldExtension,
  type LineStatus,
  lineRoutes,
  lineStatus,
  newCommunicationId,
  notProcessed,
  REPLICATION_DOCTYPE,
  type RepLine,
  type ReplicationPost,
  repeatsWithinPost,
  replicationCandidates,
} from '../core/replication.js';
import {
  type BasicCredentials,
  bearerTokenOf,
  DEFAULT_TOKEN_TTL_MS,
  invalidCredentials,
  invalidToken,
  isTokenLive,
  LOGIN_LOCKOUT_MS,
  lockedForMs,
  lockoutAddressOf,
  locksAt,
  newAccessToken,
  noToken,
  type PasswordHasher,
  ThreeplError,
  type TokenRecord,
  tokenHash,
  tooManyFailures,
} from '../core/tokens.js';
import type { NewMessage } from './accept-message.js';
import { enabledFor } from './enablements.js';

/** The 3PL face's use cases (seed 002): credentials, tokens, replication posts and their results. */

type Credentials = Pick<
  CredentialRepository,
  | 'getCredential'
  | 'putCredential'
  | 'swapPartnerUsername'
  | 'deleteCredential'
  | 'getLoginFailures'
  | 'addLoginFailure'
  | 'lockLogin'
  | 'clearLoginFailures'
  | 'putToken'
  | 'getToken'
>;

export interface TokenPorts {
  credentials: Credentials;
  passwords: PasswordHasher;
  clock: Clock;
}

export interface IssuedToken {
  accessToken: string;
  /** The token's lifetime from now: seed 002's ExpirationMs (a duration, not an epoch). */
  expiresInMs: number;
  partnerCode: string;
}

/**
 * Issues an access token for Basic credentials, asked for from `sourceAddress` (the caller's IP, as
 * API Gateway saw it). Every refusal — a malformed header, an unknown username, a wrong password —
 * does the same work (one failure-counters read, one credential read, one scrypt, one
 * failure-counters write) and gets the same 401, so neither the answer nor its timing tells whether a
 * username exists. Failures are counted per username and address and per username: too many from
 * one address lock only that address out of the username, and the owner elsewhere keeps logging in;
 * the higher per-username ceiling locks it everywhere. A locked attempt is 429 before any of it.
 */
export async function issueToken(
  ports: TokenPorts,
  given: BasicCredentials | undefined,
  source: string,
): Promise<IssuedToken> {
  const { credentials, passwords, clock } = ports;
  const now = clock.now();
  const sourceAddress = lockoutAddressOf(source);
  // A name longer than any stored username is no credential: looked up, it would be a key over
  // DynamoDB's 2 KiB limit, an error instead of a 401.
  const named = given && given.username.length <= MAX_USERNAME_CHARS ? given : undefined;
  // '' is never a username (they have at least one character), so a malformed header looks up nothing,
  // and its failures are counted under a name that is never locked.
  const username = named?.username ?? '';
  const failures = await credentials.getLoginFailures(username, sourceAddress, now);
  const wait = username ? lockedForMs(failures, now) : 0;
  if (wait > 0) throw tooManyFailures(Math.ceil(wait / 1000));

  const stored = await credentials.getCredential(username);
  const ok = await passwords.verify(
    named?.password ?? '',
    stored?.passwordHash ?? (await passwords.dummyHash()),
  );
  if (!named || !stored || !ok) {
    const locks = locksAt(await credentials.addLoginFailure(username, sourceAddress, now));
    if (username && locks.address) {
      await credentials.lockLogin(username, sourceAddress, now + LOGIN_LOCKOUT_MS);
    }
    if (username && locks.username) await credentials.lockLogin(username, undefined, now + LOGIN_LOCKOUT_MS);
    throw invalidCredentials();
  }
  // The address proved it knows the password: its own failures are forgotten. The username's count
  // from every address is not, so one success cannot reset what others are guessing.
  if (failures.address) await credentials.clearLoginFailures(username, sourceAddress);

  const accessToken = newAccessToken();
  const record: TokenRecord = {
    partnerCode: stored.partnerCode,
    username: stored.username,
    credentialId: stored.credentialId,
    issuedAtMs: now,
    expiresAtMs: now + stored.tokenTtlMs,
  };
  await credentials.putToken(tokenHash(accessToken), record);
  return { accessToken, expiresInMs: stored.tokenTtlMs, partnerCode: stored.partnerCode };
}

/**
 * The partner an Authorization header's token was issued to. No token is 401; an unknown or expired
 * token, or one issued under credentials the operator has since replaced, is 403.
 */
export async function authenticateAccessToken(
  ports: { credentials: Pick<Credentials, 'getToken' | 'getCredential'>; clock: Clock },
  authorization: string | undefined,
): Promise<TokenRecord> {
  const token = bearerTokenOf(authorization);
  if (!token) throw noToken();
  const record = await ports.credentials.getToken(tokenHash(token));
  if (!record || !isTokenLive(record, ports.clock.now())) throw invalidToken();
  const current = await ports.credentials.getCredential(record.username);
  if (current?.credentialId !== record.credentialId || current.partnerCode !== record.partnerCode) {
    throw invalidToken();
  }
  return record;
}

/**
 * Sets a partner's Basic credentials (PUT /admin/partners/{code}/credentials). A partner has one
 * username: setting another frees the old one. Setting them again ends every token issued before
 * and lifts a lockout of the username.
 */
export async function setCredentials(
  ports: TokenPorts & { registry: Pick<RegistryRepository, 'getPartner'> },
  partnerCode: string,
  input: CredentialsInput,
): Promise<void> {
  if (!(await ports.registry.getPartner(partnerCode))) throw notFound(`Partner ${partnerCode}`);
  const now = ports.clock.now();
  const credential: StoredCredential = {
    username: input.username,
    partnerCode,
    passwordHash: await ports.passwords.hash(input.password),
    credentialId: newId('cred', now),
    tokenTtlMs: input.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS,
    updatedAt: new Date(now).toISOString(),
  };
  if (!(await ports.credentials.putCredential(credential))) {
    throw conflict('username_taken', `The username ${input.username} belongs to another partner.`);
  }
  const previous = await ports.credentials.swapPartnerUsername(partnerCode, input.username);
  if (previous && previous !== input.username)
    await ports.credentials.deleteCredential(previous, partnerCode);
  // Every lock of the username, from any address, ends.
  await ports.credentials.clearLoginFailures(input.username);
}

export interface ReplicationPorts {
  registry: Pick<RegistryRepository, 'listIntegrations'>;
  /** A managed integration carries lines only from a 3PL partner that enabled it. */
  enablements: Pick<EnablementRepository, 'forClient'>;
  fields: Pick<FieldDictionaryRepository, 'getExtensions'>;
  communications: Pick<
    CommunicationRepository,
    'claimLine' | 'completeClaim' | 'releaseClaim' | 'putCommunication'
  >;
  /** storeMessage (usecases/accept-message.ts) bound to its ports: the one way into the delivery engine. */
  store: (m: NewMessage, routed: readonly StoredIntegration[]) => Promise<{ id: string }>;
  /**
   * Whether an integration's JSONata filter admits a line (usecases/filters.ts: a filter that fails
   * or overruns its budget counts as false). A port, so that only the function that routes lines
   * bundles the evaluator, not the token and read functions sharing this file.
   */
  admits: (integration: StoredIntegration, line: RepLine) => Promise<boolean>;
  clock: Clock;
}

/** Lines stored at once: enough to hide DynamoDB and SQS latency, few enough to stay under their rates. */
export const LINE_CONCURRENCY = 16;
/**
 * A claim whose post never finished (its function crashed or timed out between claiming a line and
 * storing its message) may be taken over after this long: four times the API functions' 15 s
 * timeout, so its writer is surely gone, and short enough for a 3PL's retries to reach it.
 */
export const CLAIM_STALE_MS = 60_000;

/**
 * A line an earlier post claimed and has not stored yet: that post may still be running, or may have
 * died (then its claim is taken over once stale). Not a duplicate, since its messages may never be
 * stored: the post is refused as retryable, and the lines it stored before are duplicates when the
 * 3PL posts again.
 */
const lineInProgress = (index: number) =>
  new HubError(
    503,
    'line_in_progress',
    `Line ${index} is still being stored by an earlier post of the same apiuuid; post again shortly.`,
  );

export interface AcceptedPost {
  communicationId: string;
  lines: number;
  duplicates: number;
}

/**
 * Accepts a validated replication post for a partner. Everything that can refuse it — the field
 * dictionary (400), routing (402; a filter that fails counts as false) — is checked before anything is written.
 * Then each new line is claimed by its apiuuid and handed to the delivery engine as a `replication`
 * message per receiving system; lines seen before are recorded as duplicates. The post is stored last.
 * If storing fails part way, the failed line's claim is given back and the error stands: the lines
 * already stored are duplicates when the 3PL posts again, the others are processed then (a line whose
 * messages were stored but whose claim could not be completed is sent again: at least once, never lost).
 * Lines are stored LINE_CONCURRENCY at a time, so their order within one post is not kept.
 */
export async function acceptReplicationPost(
  ports: ReplicationPorts,
  partnerCode: string,
  post: ReplicationPost,
): Promise<AcceptedPost> {
  const lines = post.repLines;
  const apiids = [...new Set(lines.map((l) => l.apiid))];
  const extensions = await ports.fields.getExtensions(apiids);
  checkFields(post, new Map(apiids.map((a) => [a, effectiveDictionary(a, extensions.get(a))])));

  const candidates = await enabledFor(
    ports.enablements,
    replicationCandidates(await ports.registry.listIntegrations(), partnerCode),
    partnerCode,
  );
  if (candidates.length === 0) {
    throw notProcessed(
      `no active Outbound integration for entity "${REPLICATION_DOCTYPE}" carries lines from ${partnerCode}.`,
    );
  }
  const routes = await routeLines(candidates, partnerCode, post, ports.admits);

  const now = ports.clock.now();
  const communicationId = newCommunicationId(now);
  const expiresAt = Math.floor(now / 1000) + MESSAGE_RETENTION_DAYS * 86_400;
  const repeats = repeatsWithinPost(lines);
  const stored = await mapPool(lines, LINE_CONCURRENCY, async (line, index): Promise<CommunicationLine> => {
    const base = { index, apiuuid: line.apiuuid, apiid: line.apiid };
    const key = apiuuidKey(line.apiuuid);
    const claim = repeats.has(index)
      ? 'seen'
      : await ports.communications.claimLine(
          partnerCode,
          key,
          communicationId,
          now,
          now - CLAIM_STALE_MS,
          expiresAt,
        );
    if (claim === 'seen') return { ...base, status: 'duplicate', messageIds: [] };
    if (claim === 'in-progress') throw lineInProgress(index);
    try {
      const body = Buffer.from(JSON.stringify(line));
      const messageIds: string[] = [];
      for (const [receiver, routed] of byReceiver(routes[index] ?? [])) {
        const m = await ports.store(
          {
            id: newId('msg', now),
            sender: partnerCode,
            receiver,
            doctype: REPLICATION_DOCTYPE,
            version: line.apiid,
            body,
            contentType: 'application/json',
          },
          routed,
        );
        messageIds.push(m.id);
      }
      await ports.communications.completeClaim(partnerCode, key, communicationId, messageIds);
      return { ...base, status: 'received', messageIds };
    } catch (e) {
      await ports.communications.releaseClaim(partnerCode, key, communicationId).catch(() => undefined);
      throw e;
    }
  });
  await ports.communications.putCommunication(
    {
      id: communicationId,
      partnerCode,
      receivedAt: new Date(now).toISOString(),
      lineCount: lines.length,
      expiresAt,
    },
    stored,
  );
  return {
    communicationId,
    lines: lines.length,
    duplicates: stored.filter((l) => l.status === 'duplicate').length,
  };
}

/** Each line's integrations, filters included; a line that none carries makes the post a 402. */
async function routeLines(
  candidates: readonly StoredIntegration[],
  partnerCode: string,
  post: ReplicationPost,
  admits: ReplicationPorts['admits'],
): Promise<StoredIntegration[][]> {
  const routes: StoredIntegration[][] = [];
  for (const [index, line] of post.repLines.entries()) {
    const routed: StoredIntegration[] = [];
    for (const i of lineRoutes(candidates, partnerCode, line)) {
      if (!i.filter || (await admits(i, line))) routed.push(i);
    }
    if (routed.length === 0) {
      throw notProcessed(
        `line ${index} (apiid ${line.apiid}) is carried by no active Outbound integration (their version or filter leave it out).`,
      );
    }
    routes.push(routed);
  }
  return routes;
}

/** A message has one receiver: a line that goes to two systems becomes two messages. */
function byReceiver(routed: readonly StoredIntegration[]): Map<string, StoredIntegration[]> {
  const out = new Map<string, StoredIntegration[]>();
  for (const i of routed) {
    const r = i.receiver ?? '';
    out.set(r, [...(out.get(r) ?? []), i]);
  }
  return out;
}

export interface CommunicationView {
  CommunicationID: string;
  Status: LineStatus;
  ReceivedAt: string;
  Lines: { apiuuid: string; apiid: ApiId; Status: LineStatus; Errors?: string[] }[];
}

/**
 * A post and each line's status (GET /v1/communications/{id}), for the partner that sent it only:
 * another partner's post is as unknown as a missing one. Line status is derived from the deliveries
 * of its messages each time, so it is never stale.
 */
export interface CommunicationReadPorts {
  communications: Pick<CommunicationRepository, 'getCommunication'>;
  messages: Pick<MessageRepository, 'getRecord'>;
  clock: Clock;
}

export async function viewCommunication(
  ports: CommunicationReadPorts,
  partnerCode: string,
  id: string,
): Promise<CommunicationView> {
  const found = await findCommunication(ports, id);
  if (!found || found.communication.partnerCode !== partnerCode) {
    throw new ThreeplError(404, 'not_found', `Communication ${id} is not known.`);
  }
  return communicationView(ports, found);
}

/**
 * GET /admin/communications/{CommunicationID}: any partner's post, for the operator, with the partner
 * that sent it (the same derived line statuses as the partner sees).
 */
export async function communicationForOperator(
  ports: CommunicationReadPorts,
  id: string,
): Promise<CommunicationView & { partner: string }> {
  const found = await findCommunication(ports, id);
  if (!found) throw notFound(`Communication ${id}`);
  return { partner: found.communication.partnerCode, ...(await communicationView(ports, found)) };
}

const findCommunication = (ports: CommunicationReadPorts, id: string) =>
  id.length <= 64
    ? ports.communications.getCommunication(communicationKey(id), ports.clock.now())
    : Promise.resolve(undefined);

async function communicationView(
  ports: CommunicationReadPorts,
  found: NonNullable<Awaited<ReturnType<typeof findCommunication>>>,
): Promise<CommunicationView> {
  const lines = await mapPool(found.lines, LINE_CONCURRENCY, async (l) => {
    const records = await Promise.all(l.messageIds.map((m) => ports.messages.getRecord(m)));
    const s = lineStatus(
      l,
      records.flatMap((r) => r?.deliveries ?? []),
    );
    return {
      apiuuid: l.apiuuid,
      apiid: l.apiid,
      Status: s.status,
      ...(s.errors ? { Errors: s.errors } : {}),
    };
  });
  return {
    CommunicationID: found.communication.id,
    Status: communicationStatus(lines.map((l) => ({ status: l.Status }))),
    ReceivedAt: found.communication.receivedAt,
    Lines: lines,
  };
}

/** The field dictionary in force for every apiid (the shipped fields plus the operator's). */
export async function listFieldDictionaries(ports: {
  fields: Pick<FieldDictionaryRepository, 'getExtensions'>;
}): Promise<FieldDictionary[]> {
  const ext = await ports.fields.getExtensions(APIIDS);
  return APIIDS.map((a) => effectiveDictionary(a, ext.get(a)));
}

/** Replaces the operator's addition to one apiid's dictionary; an empty one goes back to the shipped fields. */
export async function setFieldExtension(
  ports: { fields: Pick<FieldDictionaryRepository, 'putExtension' | 'deleteExtension'>; clock: Clock },
  apiid: string,
  input: { fields: string[]; required?: string[] | undefined },
): Promise<FieldDictionary> {
  if (!(APIIDS as readonly string[]).includes(apiid)) {
    throw notFound(`apiid ${apiid} (one of ${APIIDS.join(', ')})`);
  }
  const a = apiid as ApiId;
  const ext: FieldExtension = {
    fields: [...new Set(input.fields)],
    required: [...new Set(input.required ?? [])],
  };
  const problem = checkExtension(a, ext);
  if (problem) throw badRequest('invalid_field', problem);
  if (ext.fields.length === 0 && ext.required.length === 0) await ports.fields.deleteExtension(a);
  else await ports.fields.putExtension(a, ext, new Date(ports.clock.now()).toISOString());
  return effectiveDictionary(a, ext);
}

/**
 * Maps with at most `limit` calls in flight, keeping the order. After the first failure no new item
 * starts; the calls in flight finish, then the failure is thrown.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return out;
}
