import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { autoDisableHoursOf, HEALTH_FIELDS, type IntegrationHealth } from '../core/health.js';
import type { StoredIntegration } from '../core/integration.js';
import type { ApiKeyRecord, Partner, PartnerKey } from '../core/partners.js';
import { dynamoClient } from './aws.js';
import { conditional, queryAll } from './dynamo.js';

/**
 * After this long, a code guard whose partner was never written is taken over: whoever wrote it is
 * dead, since the HTTP functions time out after 15 s (API_FUNCTION_TIMEOUT_SECONDS).
 */
export const PARTNER_CODE_TAKEOVER_MS = 60_000;

/** The guard that makes a partner code unique regardless of case: one item per lower-cased code. */
const codeGuardKey = (code: string) => ({ pk: `PARTNER_CODE#${code.toLowerCase()}`, sk: 'CODE' });
/** Written once every partner stored before guards existed has its guard. */
const GUARDS_BACKFILLED = { pk: 'PARTNER_CODE', sk: 'BACKFILLED' };

/** Partners, their keys and the integrations, in the registry table (Get/Query/conditional writes only). */
export class RegistryRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  /**
   * Creates the partner; false when the code is taken, in any case (`WMS` and `wms` cannot both
   * exist). The code is stored and looked up as typed: it is an identifier, and only its uniqueness
   * ignores case.
   *
   * Without transactions (dynalite has none) the guard is written first and the partner second, so a
   * crash can leave a guard without its partner but never a partner without its guard. Such a guard
   * names its code and when it was claimed; once its partner is missing for PARTNER_CODE_TAKEOVER_MS
   * the next create of that code (any case) takes it over, so it never blocks the code for good.
   */
  async createPartner(p: Partner, now: number): Promise<boolean> {
    await this.guardExistingCodes(now);
    if (!(await this.claimCode(p.code, now))) return false;
    try {
      return await conditional(() =>
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { pk: `PARTNER#${p.code}`, sk: 'PARTNER', kind: 'partner', kindSort: p.code, ...p },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (e) {
      // Best effort: a guard left behind here is taken over later anyway.
      await this.releaseCode(p.code, now).catch(() => undefined);
      throw e;
    }
  }

  /** Takes the guard of `code`; false when a partner holds it, or another create claimed it just now. */
  private async claimCode(code: string, now: number): Promise<boolean> {
    const Key = codeGuardKey(code);
    const claim = { ...Key, partnerCode: code, claimedAt: now };
    const put = (condition: string, values?: Record<string, unknown>) =>
      conditional(() =>
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: claim,
            ConditionExpression: condition,
            ...(values ? { ExpressionAttributeValues: values } : {}),
          }),
        ),
      );
    if (await put('attribute_not_exists(pk)')) return true;
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    const held = r.Item as { partnerCode: string; claimedAt: number } | undefined;
    if (!held) return put('attribute_not_exists(pk)');
    if (await this.partnerExists(held.partnerCode)) return false;
    if (now - held.claimedAt <= PARTNER_CODE_TAKEOVER_MS) return false;
    // Abandoned: only one of several creates can take it over, the first to replace that very claim.
    return put('partnerCode = :code AND claimedAt = :at', {
      ':code': held.partnerCode,
      ':at': held.claimedAt,
    });
  }

  private async releaseCode(code: string, claimedAt: number): Promise<void> {
    await conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: codeGuardKey(code),
          ConditionExpression: 'partnerCode = :code AND claimedAt = :at',
          ExpressionAttributeValues: { ':code': code, ':at': claimedAt },
        }),
      ),
    );
  }

  private async partnerExists(code: string): Promise<boolean> {
    const r = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `PARTNER#${code}`, sk: 'PARTNER' },
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return r.Item !== undefined;
  }

  /**
   * Partners stored before codes had guards get theirs, once per table, before the first create that
   * relies on them: one read per create after that. Codes that already differ only in case (possible
   * before) are left as they are; the first one listed holds the guard.
   */
  private async guardExistingCodes(now: number): Promise<void> {
    const done = await this.db.send(
      new GetCommand({ TableName: this.table, Key: GUARDS_BACKFILLED, ConsistentRead: true }),
    );
    if (done.Item) return;
    for (const p of await this.listPartners()) {
      await conditional(() =>
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...codeGuardKey(p.code), partnerCode: p.code, claimedAt: now },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    }
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...GUARDS_BACKFILLED, at: new Date(now).toISOString() },
      }),
    );
  }

  async getPartner(code: string): Promise<Partner | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `PARTNER#${code}`, sk: 'PARTNER' } }),
    );
    return r.Item ? toPartner(r.Item) : undefined;
  }

  async listPartners(): Promise<Partner[]> {
    const items = await queryAll({
      TableName: this.table,
      IndexName: 'byKind',
      KeyConditionExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': 'partner' },
    });
    return items.map(toPartner);
  }

  /** Stores a key twice: under its hash (for authentication) and under its partner (for listing and revoking). */
  async addKey(key: PartnerKey, keyHash: string): Promise<void> {
    const record: ApiKeyRecord = {
      partnerCode: key.partnerCode,
      keyId: key.id,
      scopes: key.scopes,
      ...(key.mobileUser ? { mobileUser: key.mobileUser } : {}),
    };
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { pk: `APIKEY#${keyHash}`, sk: 'APIKEY', ...record } }),
    );
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `PARTNER#${key.partnerCode}`, sk: `KEY#${key.id}`, keyHash, ...key },
      }),
    );
  }

  async findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.db.send(
      // Strongly consistent: a revoked key stops working at once.
      new GetCommand({
        TableName: this.table,
        Key: { pk: `APIKEY#${keyHash}`, sk: 'APIKEY' },
        ConsistentRead: true,
      }),
    );
    if (!r.Item) return undefined;
    const { partnerCode, keyId, scopes, mobileUser } = r.Item as ApiKeyRecord;
    return { partnerCode, keyId, scopes, ...(mobileUser ? { mobileUser } : {}) };
  }

  /** Revokes a key: the hash entry goes first, so the key stops working before anything else happens. */
  async revokeKey(partnerCode: string, keyId: string, at: string): Promise<boolean> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `PARTNER#${partnerCode}`, sk: `KEY#${keyId}` } }),
    );
    if (!r.Item || r.Item.revokedAt) return false;
    await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: `APIKEY#${r.Item.keyHash}`, sk: 'APIKEY' } }),
    );
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `PARTNER#${partnerCode}`, sk: `KEY#${keyId}` },
        UpdateExpression: 'SET revokedAt = :at',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
    return true;
  }

  async listKeys(partnerCode: string): Promise<PartnerKey[]> {
    const items = await queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :k)',
      ExpressionAttributeValues: { ':pk': `PARTNER#${partnerCode}`, ':k': 'KEY#' },
    });
    return items.map(({ pk: _pk, sk: _sk, keyHash: _h, ...key }) => key as unknown as PartnerKey);
  }

  /** Reserves the name, then writes the integration; false when the name is taken. */
  async createIntegration(i: StoredIntegration): Promise<boolean> {
    if (!(await this.reserveName(i.name, i.id))) return false;
    await this.putIntegration(i);
    return true;
  }

  /**
   * Replaces an integration's fields; a renamed one moves its name reservation. False when the new
   * name is taken. Its endpoint health (HEALTH_FIELDS) is left as stored: only the delivery worker
   * and the enable route write it, so a PATCH or a rotation racing a delivery's end never undoes it.
   */
  async replaceIntegration(previous: StoredIntegration, next: StoredIntegration): Promise<boolean> {
    if (previous.name !== next.name) {
      if (!(await this.reserveName(next.name, next.id))) return false;
      await this.releaseName(previous.name, previous.id);
    }
    const health = new Set<string>(HEALTH_FIELDS);
    const fields = Object.entries({ kind: 'integration', kindSort: next.name, ...next }).filter(
      ([k, v]) => !health.has(k) && v !== undefined,
    );
    const kept = new Set(fields.map(([k]) => k));
    const gone = Object.keys(previous).filter((k) => !kept.has(k) && !health.has(k));
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = fields.map(([k, v], n) => {
      names[`#f${n}`] = k;
      values[`:f${n}`] = v;
      return `#f${n} = :f${n}`;
    });
    const removes = gone.map((k, n) => {
      names[`#g${n}`] = k;
      return `#g${n}`;
    });
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: integrationKey(next.id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  }

  /**
   * Starts the failing window (core/health.ts), unless one is open already or the integration is gone:
   * one conditional write, made only when the worker read none open.
   */
  async startFailing(id: string, at: string): Promise<boolean> {
    return this.updateHealth(id, 'SET failingSince = :at', 'attribute_not_exists(failingSince)', {
      ':at': at,
    });
  }

  /**
   * Closes the failing window after a delivered end. Conditioned on the window the worker read, so a
   * window another worker opened since stays.
   */
  async recover(id: string, since: string): Promise<boolean> {
    return this.updateHealth(id, 'REMOVE failingSince', 'failingSince = :since', { ':since': since });
  }

  /**
   * Disables the integration (endpoint health), once: conditioned on it not being disabled and on the
   * window the worker read still being the stored one (none open: `since` undefined, autoDisableAfterHours 0).
   */
  async disable(
    id: string,
    change: { at: string; since: string | undefined; reason: string },
  ): Promise<boolean> {
    return this.updateHealth(
      id,
      'SET health = :disabled, disabledAt = :at, disabledReason = :why, failingSince = :since',
      `(attribute_not_exists(health) OR health <> :disabled) AND ${
        change.since ? 'failingSince = :since' : 'attribute_not_exists(failingSince)'
      }`,
      {
        ':disabled': 'disabled',
        ':at': change.at,
        ':why': change.reason,
        ':since': change.since ?? change.at,
      },
    );
  }

  /** Sets health back to ok and forgets the window; false when it was not disabled (or is gone). */
  async enable(id: string): Promise<boolean> {
    return this.updateHealth(
      id,
      'SET health = :ok REMOVE disabledAt, disabledReason, failingSince',
      'health = :disabled',
      { ':ok': 'ok', ':disabled': 'disabled' },
    );
  }

  private updateHealth(
    id: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: integrationKey(id),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async deleteIntegration(i: StoredIntegration): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: `INTEGRATION#${i.id}`, sk: 'INTEGRATION' } }),
    );
    await this.releaseName(i.name, i.id);
  }

  /** `consistent`: a strongly consistent read (endpoint health's checks after a hold). */
  async getIntegration(id: string, consistent = false): Promise<StoredIntegration | undefined> {
    const r = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: integrationKey(id),
        ...(consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return r.Item ? toIntegration(r.Item) : undefined;
  }

  async listIntegrations(): Promise<StoredIntegration[]> {
    const items = await queryAll({
      TableName: this.table,
      IndexName: 'byKind',
      KeyConditionExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': 'integration' },
    });
    return items.map(toIntegration);
  }

  /** The integrations whose receiver is this partner: the candidates for routing a message. */
  async integrationsForReceiver(receiver: string): Promise<StoredIntegration[]> {
    return (await this.routesToReceiver(receiver)).integrations;
  }

  /**
   * Everything that may route a message to this partner, in one Query of the byReceiver index: the
   * integrations naming it as receiver, and the ids of the managed Inbound integrations it enabled
   * (their enablement items carry the client as `receiver`; adapters/enablements.ts).
   */
  async routesToReceiver(
    receiver: string,
  ): Promise<{ integrations: StoredIntegration[]; managedInbound: string[] }> {
    const items = await queryAll({
      TableName: this.table,
      IndexName: 'byReceiver',
      KeyConditionExpression: 'receiver = :r',
      ExpressionAttributeValues: { ':r': receiver },
    });
    return {
      integrations: items.filter((i) => i.kind === 'integration').map(toIntegration),
      managedInbound: items.filter((i) => i.kind === 'enablement').map((i) => String(i.integrationId)),
    };
  }

  private putIntegration(i: StoredIntegration) {
    return this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `INTEGRATION#${i.id}`, sk: 'INTEGRATION', kind: 'integration', kindSort: i.name, ...i },
      }),
    );
  }

  private reserveName(name: string, id: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `INTEGRATION_NAME#${name}`, sk: 'NAME', integrationId: id },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  private async releaseName(name: string, id: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `INTEGRATION_NAME#${name}`, sk: 'NAME' },
          ConditionExpression: 'integrationId = :id',
          ExpressionAttributeValues: { ':id': id },
        }),
      ),
    );
  }
}

function toPartner(item: Record<string, unknown>): Partner {
  return { code: String(item.code), name: String(item.name), createdAt: String(item.createdAt) };
}

const integrationKey = (id: string) => ({ pk: `INTEGRATION#${id}`, sk: 'INTEGRATION' });

function toIntegration(item: Record<string, unknown>): StoredIntegration {
  const { pk: _pk, sk: _sk, kind: _kind, kindSort: _ks, ...rest } = item;
  const i = rest as unknown as StoredIntegration & IntegrationHealth;
  // Stored before endpoint health existed: the default window, and healthy.
  return { ...i, autoDisableAfterHours: autoDisableHoursOf(i), health: i.health ?? 'ok' };
}
