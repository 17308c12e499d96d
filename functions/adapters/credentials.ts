import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredCredential } from '../core/credentials.js';
import { APIIDS, type ApiId, type FieldExtension } from '../core/replication.js';
import {
  FAILED_LOGIN_WINDOW_MS,
  type LoginFailureCounters,
  type LoginFailures,
  type TokenRecord,
} from '../core/tokens.js';
import { dynamoClient } from './aws.js';
import { conditional, queryPartition } from './dynamo.js';

/**
 * 3PL credentials, login failures and access tokens in the registry table:
 * `CRED#<username>` (usernames are unique across partners), `PARTNER#<code>`/`CRED` (which username a
 * partner has), `LOGINFAIL#<username>` (sk `LOGINFAIL`: its failures from any address; sk
 * `ADDR#<address>`: from one source address) and `TOKEN#<sha256>`, the last two with an `expiresAt` TTL.
 * Get and conditional writes only; expiry is checked on read because TTL deletion is late (and never
 * happens in the emulators).
 */
export class CredentialRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  async getCredential(username: string): Promise<StoredCredential | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `CRED#${username}`, sk: 'CRED' } }),
    );
    if (!r.Item) return undefined;
    const { pk: _pk, sk: _sk, ...rest } = r.Item;
    return rest as StoredCredential;
  }

  /** Writes the credentials unless the username belongs to another partner (false then). */
  async putCredential(c: StoredCredential): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `CRED#${c.username}`, sk: 'CRED', ...c },
          ConditionExpression: 'attribute_not_exists(pk) OR partnerCode = :p',
          ExpressionAttributeValues: { ':p': c.partnerCode },
        }),
      ),
    );
  }

  /** The username a partner had before, and records the new one. */
  async swapPartnerUsername(partnerCode: string, username: string): Promise<string | undefined> {
    const r = await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `PARTNER#${partnerCode}`, sk: 'CRED', username },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const previous = r.Attributes?.username;
    return typeof previous === 'string' ? previous : undefined;
  }

  /** Removes a partner's former username, unless another partner has taken it since. */
  async deleteCredential(username: string, partnerCode: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `CRED#${username}`, sk: 'CRED' },
          ConditionExpression: 'partnerCode = :p',
          ExpressionAttributeValues: { ':p': partnerCode },
        }),
      ),
    );
  }

  /** Both failure counters of a login attempt (username + address, and username), expired ones as none. */
  async getLoginFailures(
    username: string,
    address: string,
    now: number,
  ): Promise<LoginFailureCounters<LoginFailures | undefined>> {
    const [byAddress, byUsername] = await Promise.all([
      this.getFailures(failureKey(username, address), now),
      this.getFailures(failureKey(username), now),
    ]);
    return { address: byAddress, username: byUsername };
  }

  private async getFailures(Key: Record<string, string>, now: number): Promise<LoginFailures | undefined> {
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    const i = r.Item;
    if (!i) return undefined;
    const f: LoginFailures = {
      count: Number(i.count),
      windowEndsAtMs: Number(i.windowEndsAtMs),
      ...(i.lockedUntilMs !== undefined ? { lockedUntilMs: Number(i.lockedUntilMs) } : {}),
    };
    // Both the window and any lock have passed: as good as deleted.
    return f.windowEndsAtMs <= now && (f.lockedUntilMs ?? 0) <= now ? undefined : f;
  }

  /** Counts a failed login on both counters; returns their counts after it. */
  async addLoginFailure(
    username: string,
    address: string,
    now: number,
  ): Promise<LoginFailureCounters<number>> {
    const [byAddress, byUsername] = await Promise.all([
      this.addFailure(failureKey(username, address), now),
      this.addFailure(failureKey(username), now),
    ]);
    return { address: byAddress, username: byUsername };
  }

  /** One atomic increment inside the current window, or a new window of one. */
  private async addFailure(Key: Record<string, string>, now: number): Promise<number> {
    try {
      const r = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key,
          UpdateExpression: 'SET #c = #c + :one',
          ConditionExpression: 'windowEndsAtMs > :now',
          ExpressionAttributeNames: { '#c': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Number(r.Attributes?.count);
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
    }
    const windowEndsAtMs = now + FAILED_LOGIN_WINDOW_MS;
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...Key, count: 1, windowEndsAtMs, expiresAt: ttlSeconds(windowEndsAtMs) },
      }),
    );
    return 1;
  }

  /** Locks the username from one address, or (address undefined) from every address. */
  async lockLogin(username: string, address: string | undefined, untilMs: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: failureKey(username, address),
        UpdateExpression: 'SET lockedUntilMs = :u, expiresAt = :e',
        ExpressionAttributeValues: { ':u': untilMs, ':e': ttlSeconds(untilMs) },
      }),
    );
  }

  /**
   * Forgets the failures of the username from one address, or (address undefined) all of them, from
   * every address: at most one item per address that failed within a window, since a locked counter
   * stops counting.
   */
  async clearLoginFailures(username: string, address?: string): Promise<void> {
    if (address !== undefined) {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: failureKey(username, address) }));
      return;
    }
    const keys = (await queryPartition(this.table, failureKey(username).pk)).map((i) => ({
      pk: String(i.pk),
      sk: String(i.sk),
    }));
    for (let at = 0; at < keys.length; at += 25) {
      let requests: Record<string, unknown>[] = keys
        .slice(at, at + 25)
        .map((Key) => ({ DeleteRequest: { Key } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
        if (round > 6) throw new Error('DynamoDB left deletes unprocessed');
        const r = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = r.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }

  async putToken(hash: string, t: TokenRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `TOKEN#${hash}`, sk: 'TOKEN', ...t, expiresAt: ttlSeconds(t.expiresAtMs) },
      }),
    );
  }

  /** The token's record, expired or not: the caller decides with the clock it was given. */
  async getToken(hash: string): Promise<TokenRecord | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `TOKEN#${hash}`, sk: 'TOKEN' } }),
    );
    const i = r.Item;
    if (!i) return undefined;
    return {
      partnerCode: String(i.partnerCode),
      username: String(i.username),
      credentialId: String(i.credentialId),
      issuedAtMs: Number(i.issuedAtMs),
      expiresAtMs: Number(i.expiresAtMs),
    };
  }
}

/** The operator's additions to the 3PL field dictionary, one registry item per apiid (`FIELDS#<apiid>`). */
export class FieldDictionaryRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  /** Every apiid's extension in one strongly consistent BatchGet (eight keys at most). */
  async getExtensions(apiids: readonly ApiId[] = APIIDS): Promise<Map<ApiId, FieldExtension>> {
    const out = new Map<ApiId, FieldExtension>();
    if (apiids.length === 0) return out;
    let keys: Record<string, unknown>[] = [...new Set(apiids)].map((a) => ({
      pk: `FIELDS#${a}`,
      sk: 'FIELDS',
    }));
    for (let round = 0; keys.length > 0; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
      if (round > 6) throw new Error('DynamoDB left reads unprocessed');
      const r = await this.db.send(
        new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const i of r.Responses?.[this.table] ?? []) {
        out.set(i.apiid as ApiId, {
          fields: (i.fields as string[] | undefined) ?? [],
          required: (i.required as string[] | undefined) ?? [],
        });
      }
      keys = (r.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
    }
    return out;
  }

  async putExtension(apiid: ApiId, ext: FieldExtension, updatedAt: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `FIELDS#${apiid}`, sk: 'FIELDS', apiid, ...ext, updatedAt },
      }),
    );
  }

  async deleteExtension(apiid: ApiId): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: `FIELDS#${apiid}`, sk: 'FIELDS' } }),
    );
  }
}

/**
 * A login failure counter: of the username from one source address, or of the username. The
 * username's counter keeps the key counters had before addresses were counted, so a lock written then
 * runs out as it was (within LOGIN_LOCKOUT_MS), and its count goes on towards the higher ceiling.
 */
const failureKey = (username: string, address?: string) => ({
  pk: `LOGINFAIL#${username}`,
  sk: address === undefined ? 'LOGINFAIL' : `ADDR#${address}`,
});

/** DynamoDB's TTL attribute is in epoch seconds; rounded up so an item never goes before its time. */
const ttlSeconds = (ms: number) => Math.ceil(ms / 1000);
