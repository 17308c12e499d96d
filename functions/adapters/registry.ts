import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredIntegration } from '../core/integration.js';
import type { ApiKeyRecord, Partner, PartnerKey } from '../core/partners.js';
import { dynamoClient } from './aws.js';
import { conditional, queryAll } from './dynamo.js';

/** Partners, their keys and the integrations, in the registry table (Get/Query/conditional writes only). */
export class RegistryRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  /** Creates the partner; false when the code is taken. */
  async createPartner(p: Partner): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `PARTNER#${p.code}`, sk: 'PARTNER', kind: 'partner', kindSort: p.code, ...p },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
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

  /** Replaces an integration; a renamed one moves its name reservation. False when the new name is taken. */
  async replaceIntegration(previous: StoredIntegration, next: StoredIntegration): Promise<boolean> {
    if (previous.name !== next.name) {
      if (!(await this.reserveName(next.name, next.id))) return false;
      await this.releaseName(previous.name, previous.id);
    }
    await this.putIntegration(next);
    return true;
  }

  async deleteIntegration(i: StoredIntegration): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: { pk: `INTEGRATION#${i.id}`, sk: 'INTEGRATION' } }),
    );
    await this.releaseName(i.name, i.id);
  }

  async getIntegration(id: string): Promise<StoredIntegration | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk: `INTEGRATION#${id}`, sk: 'INTEGRATION' } }),
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
    const items = await queryAll({
      TableName: this.table,
      IndexName: 'byReceiver',
      KeyConditionExpression: 'receiver = :r',
      ExpressionAttributeValues: { ':r': receiver },
    });
    return items.map(toIntegration);
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

function toIntegration(item: Record<string, unknown>): StoredIntegration {
  const { pk: _pk, sk: _sk, kind: _kind, kindSort: _ks, ...rest } = item;
  return rest as unknown as StoredIntegration;
}
