import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InFlightPermits } from '../../functions/adapters/in-flight.js';
import type { StoredIntegration } from '../../functions/core/integration.js';
import { takePermits } from '../../functions/usecases/deliver-batch.js';
import { type EmbeddedAws, startEmbeddedAws } from '../../lib/local/emulators.js';
import { messagesTable } from '../../lib/resources.js';
import { pushIntegration } from '../support/fixtures.js';

/** The per-integration in-flight cap, against real DynamoDB: one write takes a batch's permits. */
describe('in-flight permits', () => {
  let aws: EmbeddedAws;
  let permits: InFlightPermits;
  let db: DynamoDBDocumentClient;
  const now = Date.parse('2026-11-23T02:00:00Z');

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    Object.assign(process.env, aws.env);
    permits = new InFlightPermits(aws.env[messagesTable.envVar] as string);
    db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  });
  afterAll(async () => {
    db?.destroy();
    await aws?.stop();
  });

  it('grants up to the cap, part of a request when only part is free, and nothing when none is', async () => {
    expect(await permits.acquire('int_a', 'w1', 3, 5, now, now + 10_000)).toBe(3);
    expect(await permits.acquire('int_a', 'w2', 4, 5, now, now + 10_000)).toBe(2);
    expect(await permits.acquire('int_a', 'w3', 1, 5, now, now + 10_000)).toBe(0);
    await permits.release('int_a', 'w1', 3);
    expect(await permits.acquire('int_a', 'w3', 10, 5, now, now + 10_000)).toBe(3);
  });

  it('gives back a share once only, so a second release cannot free another holder’s permits', async () => {
    expect(await permits.acquire('int_b', 'w1', 2, 2, now, now + 10_000)).toBe(2);
    await permits.release('int_b', 'w1', 2);
    expect(await permits.acquire('int_b', 'w2', 2, 2, now, now + 10_000)).toBe(2);
    await permits.release('int_b', 'w1', 2);
    expect(await permits.acquire('int_b', 'w3', 1, 2, now, now + 10_000)).toBe(0);
  });

  it('takes back the share of a holder that died once its time has run out, and only then', async () => {
    expect(await permits.acquire('int_c', 'dead', 4, 4, now, now + 10_000)).toBe(4);
    expect(await permits.acquire('int_c', 'w2', 1, 4, now + 9_999, now + 19_999)).toBe(0);
    expect(await permits.acquire('int_c', 'w2', 3, 4, now + 10_000, now + 20_000)).toBe(3);
    // The late holder's release finds its share gone and frees nothing of w2's.
    await permits.release('int_c', 'dead', 4);
    expect(await permits.acquire('int_c', 'w3', 4, 4, now + 10_000, now + 20_000)).toBe(1);
  });

  it('counts a take once when it is sent twice (a retry after a lost answer), and the holder keeps its share', async () => {
    expect(await permits.acquire('int_d', 'w1', 2, 4, now, now + 10_000)).toBe(2);
    expect(await permits.acquire('int_d', 'w1', 2, 4, now, now + 10_000)).toBe(2);
    const { Item } = await db.send(
      new GetCommand({
        TableName: aws.env[messagesTable.envVar],
        Key: { pk: 'INFLIGHT#int_d', sk: 'INFLIGHT' },
      }),
    );
    expect(Item?.total).toBe(2);
    expect(await permits.acquire('int_d', 'w2', 4, 4, now, now + 10_000)).toBe(2);
    await permits.release('int_d', 'w1', 2);
    await permits.release('int_d', 'w2', 2);
    expect(await permits.acquire('int_d', 'w3', 4, 4, now, now + 10_000)).toBe(4);
  });

  it('repairs a total that drifted from the shares, so the cap never shrinks for good', async () => {
    expect(await permits.acquire('int_e', 'w1', 1, 3, now, now + 10_000)).toBe(1);
    await db.send(
      new UpdateCommand({
        TableName: aws.env[messagesTable.envVar],
        Key: { pk: 'INFLIGHT#int_e', sk: 'INFLIGHT' },
        UpdateExpression: 'SET #t = :t',
        ExpressionAttributeNames: { '#t': 'total' },
        ExpressionAttributeValues: { ':t': 3 },
      }),
    );
    expect(await permits.acquire('int_e', 'w2', 3, 3, now, now + 10_000)).toBe(2);
  });

  it('takes no permits for ordered integrations or deleted ones, and batchSize for parallel ones', async () => {
    const integrations: Record<string, StoredIntegration> = {
      int_par: pushIntegration({ id: 'int_par', name: 'par', batchSize: 2 }),
      int_ord: pushIntegration({ id: 'int_ord', name: 'ord', parallel: false, batchSize: 1 }),
    };
    const ports = {
      integration: async (id: string) => integrations[id],
      permits,
      clock: { now: () => now },
    };
    const parallel = await takePermits(ports, 'int_par', 5, 'w1');
    expect(parallel.granted).toBe(2);
    expect((await takePermits(ports, 'int_par', 1, 'w2')).granted).toBe(0);
    await parallel.release();
    expect((await takePermits(ports, 'int_par', 1, 'w2')).granted).toBe(1);
    expect((await takePermits(ports, 'int_ord', 5, 'w1')).granted).toBe(5);
    expect((await takePermits(ports, 'int_gone', 3, 'w1')).granted).toBe(3);
  });

  it('takes no permits when batchSize cannot bind, and takes them when it can', async () => {
    const integrations: Record<string, StoredIntegration> = {
      int_wide: pushIntegration({ id: 'int_wide', name: 'wide', batchSize: 200 }),
      int_tight: pushIntegration({ id: 'int_tight', name: 'tight', batchSize: 199 }),
    };
    const ports = {
      integration: async (id: string) => integrations[id],
      permits,
      clock: { now: () => now },
      // The stack's Deliver event source: 20 invocations of 10 records.
      maxInFlight: () => 200,
    };
    const wide = await takePermits(ports, 'int_wide', 10, 'w1');
    expect(wide.granted).toBe(10);
    await wide.release();
    const key = (id: string) => ({ pk: `INFLIGHT#${id}`, sk: 'INFLIGHT' });
    const read = async (id: string) =>
      (await db.send(new GetCommand({ TableName: aws.env[messagesTable.envVar], Key: key(id) }))).Item;
    expect(await read('int_wide')).toBeUndefined();
    // One below the bound: 200 jobs could be in flight, so 199 binds and is counted.
    const tight = await takePermits(ports, 'int_tight', 10, 'w1');
    expect(tight.granted).toBe(10);
    expect((await read('int_tight'))?.total).toBe(10);
    await tight.release();
    expect((await read('int_tight'))?.total).toBe(0);
  });
});
