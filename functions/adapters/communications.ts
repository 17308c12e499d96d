import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ApiId } from '../core/replication.js';
import { dynamoClient } from './aws.js';
import { conditional, queryPartition } from './dynamo.js';

/** A replication post as stored: the head of its partition. */
export interface Communication {
  id: string;
  partnerCode: string;
  receivedAt: string;
  lineCount: number;
  expiresAt: number;
}

/** What claiming a line's apiuuid found (CommunicationRepository.claimLine). */
export type LineClaim = 'claimed' | 'seen' | 'in-progress';

/** One line of a post: what it was, whether it was new, and the messages that carry it. */
export interface CommunicationLine {
  index: number;
  apiuuid: string;
  apiid: ApiId;
  status: 'received' | 'duplicate';
  messageIds: string[];
}

/**
 * Replication posts and the apiuuid claims that de-duplicate their lines, in the messages table:
 * `COMM#<id>` holds the head (`COMM`) and the lines (`LINE#00000`…), so one Query reads a post;
 * `APIUUID#<partner>#<apiuuid>` is claimed by a conditional put. Every item carries the messages'
 * retention TTL; reads ignore what has outlived it.
 */
export class CommunicationRepository {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  /**
   * Claims a line's apiuuid for a post: `claimed`, or `seen` when an earlier post stored the line, or
   * `in-progress` when an earlier post claimed it and has not stored it yet. A claim never completed
   * (its post died before the line's messages were stored) is taken over once `staleBeforeMs` has
   * passed it, so a retried post is not lost as a duplicate of nothing.
   */
  async claimLine(
    partnerCode: string,
    apiuuid: string,
    communicationId: string,
    now: number,
    staleBeforeMs: number,
    expiresAt: number,
  ): Promise<LineClaim> {
    const Key = { pk: claimPk(partnerCode, apiuuid), sk: 'APIUUID' };
    const claimed = await conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...Key, communicationId, claimedAtMs: now, expiresAt },
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt < :nowSec OR (attribute_not_exists(messageIds) AND claimedAtMs < :stale)',
          ExpressionAttributeValues: { ':nowSec': Math.floor(now / 1000), ':stale': staleBeforeMs },
        }),
      ),
    );
    if (claimed) return 'claimed';
    // Only a repeated line pays this read. A claim given back meanwhile reads as in progress: the
    // post is tried again, and then claims it.
    const r = await this.db.send(new GetCommand({ TableName: this.table, Key, ConsistentRead: true }));
    return r.Item?.messageIds ? 'seen' : 'in-progress';
  }

  /** Marks a claim complete: its line's messages are stored. */
  async completeClaim(
    partnerCode: string,
    apiuuid: string,
    communicationId: string,
    messageIds: string[],
  ): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: claimPk(partnerCode, apiuuid), sk: 'APIUUID' },
        UpdateExpression: 'SET messageIds = :m',
        ConditionExpression: 'communicationId = :c',
        ExpressionAttributeValues: { ':m': messageIds, ':c': communicationId },
      }),
    );
  }

  /** Gives a claim back when its line could not be stored, so a retry processes the line. */
  async releaseClaim(partnerCode: string, apiuuid: string, communicationId: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: claimPk(partnerCode, apiuuid), sk: 'APIUUID' },
          ConditionExpression: 'communicationId = :c AND attribute_not_exists(messageIds)',
          ExpressionAttributeValues: { ':c': communicationId },
        }),
      ),
    );
  }

  /** Writes the lines, then the head: a post is visible only once all of it is stored. */
  async putCommunication(c: Communication, lines: readonly CommunicationLine[]): Promise<void> {
    const pk = `COMM#${c.id}`;
    await this.batchPut(
      lines.map((l) => ({
        pk,
        sk: `LINE#${String(l.index).padStart(5, '0')}`,
        expiresAt: c.expiresAt,
        ...l,
      })),
    );
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk, sk: 'COMM', ...c } }));
  }

  async getCommunication(
    id: string,
    now: number,
  ): Promise<{ communication: Communication; lines: CommunicationLine[] } | undefined> {
    const items = await queryPartition(this.table, `COMM#${id}`);
    const head = items.find((i) => i.sk === 'COMM');
    if (!head || Number(head.expiresAt) * 1000 <= now) return undefined;
    const { pk: _pk, sk: _sk, ...communication } = head;
    return {
      communication: communication as unknown as Communication,
      lines: items
        .filter((i) => String(i.sk).startsWith('LINE#'))
        .map(({ pk: _p, sk: _s, expiresAt: _e, ...l }) => l as unknown as CommunicationLine)
        .sort((a, b) => a.index - b.index),
    };
  }

  /** BatchWrite in 25s, retrying what DynamoDB left unprocessed. */
  private async batchPut(items: Record<string, unknown>[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; requests.length > 0; round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** Math.min(round, 6)));
      if (round > 12) throw new Error('DynamoDB left writes unprocessed');
      const batch = requests.slice(0, 25);
      const r = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: batch } }));
      const left = (r.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      requests = [...left, ...requests.slice(25)];
      if (left.length === 0) round = -1;
    }
  }
}

const claimPk = (partnerCode: string, apiuuid: string) => `APIUUID#${partnerCode}#${apiuuid}`;
