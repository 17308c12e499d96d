import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Envelope } from '../core/message.js';
import { dynamoClient, s3 } from './aws.js';
import { conditional } from './dynamo.js';

export type UploadStatus = 'awaiting' | 'accepting' | 'accepted' | 'failed';

/** A message announced by POST /v1/messages/uploads, waiting for its document to land in S3. */
export interface Upload extends Envelope {
  id: string;
  size: number;
  contentType: string;
  createdAt: string;
  status: UploadStatus;
  error?: string;
}

/** Upload records live beside the message they become (same partition), and expire after a day. */
export class UploadRepository {
  /** Without a bucket it keeps the records only (the dead-letter worker, bound to the table alone). */
  constructor(
    private readonly table: string,
    private readonly bucket?: string,
  ) {}

  async create(u: Upload, expiresAt: number): Promise<void> {
    await dynamoClient().send(
      new PutCommand({ TableName: this.table, Item: { pk: `MSG#${u.id}`, sk: 'UPLOAD', ...u, expiresAt } }),
    );
  }

  async get(id: string): Promise<Upload | undefined> {
    const r = await dynamoClient().send(
      new GetCommand({ TableName: this.table, Key: { pk: `MSG#${id}`, sk: 'UPLOAD' }, ConsistentRead: true }),
    );
    if (!r.Item) return undefined;
    const { pk: _p, sk: _s, expiresAt: _e, ...u } = r.Item;
    return u as Upload;
  }

  /**
   * Takes an upload for acceptance for `leaseMs`: false while another worker holds it. A worker that
   * died mid-way loses its claim when the lease ends, and the notification's retry takes over.
   */
  async claim(id: string, now: number, leaseMs: number): Promise<boolean> {
    return conditional(() =>
      dynamoClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MSG#${id}`, sk: 'UPLOAD' },
          UpdateExpression: 'SET #s = :accepting, claimUntil = :until',
          ConditionExpression: '#s = :awaiting OR (#s = :accepting AND claimUntil < :now)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':accepting': 'accepting',
            ':awaiting': 'awaiting',
            ':until': now + leaseMs,
            ':now': now,
          },
        }),
      ),
    );
  }

  /** Moves an open upload to its final status; false when it had one already. */
  async finish(id: string, status: 'accepted' | 'failed', error?: string): Promise<boolean> {
    return conditional(() =>
      dynamoClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `MSG#${id}`, sk: 'UPLOAD' },
          UpdateExpression: error ? 'SET #s = :s, #e = :e' : 'SET #s = :s',
          ConditionExpression: '#s IN (:awaiting, :accepting)',
          ExpressionAttributeNames: { '#s': 'status', ...(error ? { '#e': 'error' } : {}) },
          ExpressionAttributeValues: {
            ':s': status,
            ':awaiting': 'awaiting',
            ':accepting': 'accepting',
            ...(error ? { ':e': error } : {}),
          },
        }),
      ),
    );
  }

  /**
   * A presigned PUT for exactly `size` bytes of `contentType` to a key the hub chose: both headers
   * are signed, so S3 refuses any other size or type.
   */
  async presignPut(
    key: string,
    size: number,
    contentType: string,
    expiresInSeconds: number,
  ): Promise<string> {
    if (!this.bucket) throw new Error('Configuration is incomplete: this upload store has no bucket.');
    const { presigner, sdk } = await s3();
    return sdk.getSignedUrl(
      presigner,
      new sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ContentLength: size,
        ContentType: contentType,
      }),
      { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-length', 'content-type']) },
    );
  }
}
