import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ReplayJob } from '../core/replay.js';
import { dynamoClient } from './aws.js';
import { conditional } from './dynamo.js';
import type { IndexPosition } from './failed-deliveries.js';

/**
 * The operator's jobs (messages table, `JOB#<id>`). A running job is also filed in the sparse
 * byPendingSend index under its own partition (`job`, by start time), beside the row outbox, so the
 * minute tick finds what is running with one Query and an idle tick costs one empty read.
 */
const RUNNING = 'job';

export interface StoredJob extends ReplayJob {
  /** Where the next slice starts in the failed-deliveries index; absent before the first slice. */
  position?: IndexPosition;
}

export class JobRepository {
  constructor(private readonly table: string) {}

  async create(job: ReplayJob, expiresAt: number): Promise<void> {
    await dynamoClient().send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `JOB#${job.id}`,
          sk: 'JOB',
          ...job,
          expiresAt,
          ...(job.status === 'running'
            ? { pendingSend: RUNNING, pendingSort: `${job.startedAt}#${job.id}` }
            : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<StoredJob | undefined> {
    const r = await dynamoClient().send(
      new GetCommand({ TableName: this.table, Key: { pk: `JOB#${id}`, sk: 'JOB' }, ConsistentRead: true }),
    );
    return r.Item ? toJob(r.Item) : undefined;
  }

  /** The ids of running jobs, oldest first (at most `limit`). */
  async running(limit: number): Promise<string[]> {
    const r = await dynamoClient().send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byPendingSend',
        KeyConditionExpression: 'pendingSend = :p',
        ExpressionAttributeValues: { ':p': RUNNING },
        Limit: limit,
      }),
    );
    return (r.Items ?? []).map((i) => String(i.pk).slice('JOB#'.length));
  }

  /** Takes the job until `until` (epoch ms); false when it is done or another tick holds it. */
  lease(id: string, now: number, until: number): Promise<boolean> {
    return conditional(() =>
      dynamoClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `JOB#${id}`, sk: 'JOB' },
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression: '#s = :running AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':until': until, ':now': now, ':running': 'running' },
        }),
      ),
    );
  }

  /**
   * Counts a slice's outcome and moves the job on to `position`, if the caller still holds the lease
   * it took (`lease`: the until it set); with no position the window is spent and the job is done (it
   * leaves the running index and the lease ends). False when the lease was lost (it ran out and
   * another tick took the job): the caller stops working it.
   */
  advance(
    id: string,
    slice: { done: number; failed: number },
    position: IndexPosition | undefined,
    now: string,
    lease: number,
  ): Promise<boolean> {
    const values: Record<string, unknown> = { ':d': slice.done, ':f': slice.failed, ':mine': lease };
    let update = 'ADD done :d, failed :f';
    if (position) {
      update += ' SET #pos = :pos';
      values[':pos'] = position;
    } else {
      update += ' SET #s = :done, finishedAt = :at REMOVE #pos, leaseUntil, pendingSend, pendingSort';
      values[':done'] = 'done';
      values[':at'] = now;
    }
    return conditional(() =>
      dynamoClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `JOB#${id}`, sk: 'JOB' },
          UpdateExpression: update,
          ConditionExpression: 'leaseUntil = :mine',
          ExpressionAttributeNames: { '#pos': 'position', ...(position ? {} : { '#s': 'status' }) },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** Gives the job back before its lease runs out (the tick's share is spent), if still held. */
  async release(id: string, lease: number): Promise<void> {
    await conditional(() =>
      dynamoClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `JOB#${id}`, sk: 'JOB' },
          UpdateExpression: 'REMOVE leaseUntil',
          ConditionExpression: 'leaseUntil = :mine',
          ExpressionAttributeValues: { ':mine': lease },
        }),
      ),
    );
  }
}

function toJob(item: Record<string, unknown>): StoredJob {
  const { pk: _pk, sk: _sk, expiresAt: _e, pendingSend: _p, pendingSort: _s, leaseUntil: _l, ...rest } = item;
  return rest as unknown as StoredJob;
}
