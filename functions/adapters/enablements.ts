import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Enablement } from '../core/enablements.js';
import { dynamoClient } from './aws.js';
import { conditional, queryAll } from './dynamo.js';

/**
 * Enablements in the registry table. One item per (integration, client), under the integration's
 * partition: routing a message asks for exactly the (integration, sender) pairs it needs with one
 * consistent GetItem each, so its cost never grows with the clients that enabled other integrations,
 * and "does this integration have enablements" is one Query with Limit 1. An enablement's id carries
 * that key (after a random part), so reading one by id is a GetItem too. Clients list their own
 * through the byKind index (kindSort starts with the partner code).
 */

const keyOf = (integrationId: string, partner: string) => ({
  pk: `INTEGRATION#${integrationId}`,
  sk: `ENABLEMENT#${partner}`,
});

function keyOfId(id: string): { integrationId: string; partner: string } | undefined {
  const m = /^enb_[0-9a-z]{1,40}\.([A-Za-z0-9_-]{1,600})$/.exec(id);
  if (!m?.[1]) return undefined;
  try {
    const pair: unknown = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8'));
    if (Array.isArray(pair) && pair.length === 2 && pair.every((x) => typeof x === 'string')) {
      const [integrationId, partner] = pair as [string, string];
      return { integrationId, partner };
    }
  } catch {
    // Not one of ours: unknown, as any other id.
  }
  return undefined;
}

export class EnablementRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  /** A new enablement's id: `<a fresh enb_ id>.<base64url of [integrationId, partner]>`. */
  idFor(freshId: string, integrationId: string, partner: string): string {
    return `${freshId}.${Buffer.from(JSON.stringify([integrationId, partner])).toString('base64url')}`;
  }

  /** Stores a new enablement; false when the client already has this integration enabled. */
  async create(e: Enablement): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: this.item(e),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** Replaces an enablement read at `previousUpdatedAt`; false when it changed or went meanwhile. */
  async replace(e: Enablement, previousUpdatedAt: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: this.item(e),
          ConditionExpression: 'id = :id AND updatedAt = :u',
          ExpressionAttributeValues: { ':id': e.id, ':u': previousUpdatedAt },
        }),
      ),
    );
  }

  async remove(e: Pick<Enablement, 'id' | 'integrationId' | 'partner'>): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keyOf(e.integrationId, e.partner),
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': e.id },
        }),
      ),
    );
  }

  /** The client's enablement of an integration (consistent: a revoke stops routing at once). */
  async forClient(integrationId: string, partner: string): Promise<Enablement | undefined> {
    const r = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keyOf(integrationId, partner), ConsistentRead: true }),
    );
    return r.Item ? toEnablement(r.Item) : undefined;
  }

  async get(id: string): Promise<Enablement | undefined> {
    const key = keyOfId(id);
    if (!key) return undefined;
    const found = await this.forClient(key.integrationId, key.partner);
    return found?.id === id ? found : undefined;
  }

  async listForClient(partner: string): Promise<Enablement[]> {
    const items = await queryAll({
      TableName: this.table,
      IndexName: 'byKind',
      KeyConditionExpression: 'kind = :k AND begins_with(kindSort, :p)',
      ExpressionAttributeValues: { ':k': 'enablement', ':p': `${partner}#` },
    });
    return items.map(toEnablement);
  }

  async listForIntegration(integrationId: string): Promise<Enablement[]> {
    const items = await queryAll({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': `INTEGRATION#${integrationId}`, ':e': 'ENABLEMENT#' },
      ConsistentRead: true,
    });
    return items.map(toEnablement);
  }

  /** Every enablement, for the operator (the consent queue is this, filtered). */
  async listAll(): Promise<Enablement[]> {
    const items = await queryAll({
      TableName: this.table,
      IndexName: 'byKind',
      KeyConditionExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': 'enablement' },
    });
    return items.map(toEnablement);
  }

  async anyFor(integrationId: string): Promise<boolean> {
    const r = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
        ExpressionAttributeValues: { ':pk': `INTEGRATION#${integrationId}`, ':e': 'ENABLEMENT#' },
        ConsistentRead: true,
        Limit: 1,
        ProjectionExpression: 'pk',
      }),
    );
    return (r.Items?.length ?? 0) > 0;
  }

  private item(e: Enablement) {
    return {
      ...keyOf(e.integrationId, e.partner),
      kind: 'enablement',
      kindSort: `${e.partner}#${e.createdAt}#${e.id}`,
      // A managed Inbound integration routes to each client that enabled it: the registry's byReceiver
      // index finds this item with the integrations that name the client (adapters/registry.ts).
      ...(e.direction === 'Inbound' ? { receiver: e.partner } : {}),
      ...e,
    };
  }
}

function toEnablement(item: Record<string, unknown>): Enablement {
  const { pk: _pk, sk: _sk, kind: _kind, kindSort: _ks, receiver: _r, ...rest } = item;
  return rest as unknown as Enablement;
}
