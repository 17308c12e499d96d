import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from './aws.js';
import { conditional } from './dynamo.js';

/** One holder's share of an integration's in-flight permits, until `u` (epoch ms). */
interface Hold {
  n: number;
  u: number;
}

const HOLD_PREFIX = 'h_';

/**
 * A counting semaphore per integration, one item: `total` permits are out, and each holder's share is
 * an attribute of its own (`h_<holder>`), so a holder that died is found and its share taken back once
 * its time has run out. A worker takes the permits for all of an integration's jobs in its batch with
 * one write and gives them back with one more: two write units per batch instead of two per message.
 */
export class InFlightPermits {
  constructor(private readonly table: string) {}

  private get db() {
    return dynamoClient();
  }

  private key(integrationId: string) {
    return { pk: `INFLIGHT#${integrationId}`, sk: 'INFLIGHT' };
  }

  /**
   * Takes up to `wanted` of the integration's `cap` permits for `holdMs`; returns how many it got
   * (0 when none are free). Shares whose holder outlived its time are reclaimed on the way.
   */
  async acquire(
    integrationId: string,
    holder: string,
    wanted: number,
    cap: number,
    now: number,
    holdMs: number,
  ): Promise<number> {
    let n = Math.min(wanted, cap);
    for (let round = 0; round < 2 && n > 0; round++) {
      if (await this.take(integrationId, holder, n, cap, now + holdMs)) return n;
      const free = await this.reclaim(integrationId, cap, now);
      n = Math.min(n, free);
    }
    return 0;
  }

  private take(integrationId: string, holder: string, n: number, cap: number, until: number) {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(integrationId),
          UpdateExpression: 'SET #h = :hold, #t = if_not_exists(#t, :zero) + :n, expiresAt = :expires',
          ConditionExpression: 'attribute_not_exists(#t) OR #t <= :room',
          ExpressionAttributeNames: { '#h': HOLD_PREFIX + holder, '#t': 'total' },
          ExpressionAttributeValues: {
            ':hold': { n, u: until } satisfies Hold,
            ':zero': 0,
            ':n': n,
            ':room': cap - n,
            // The item goes away by itself a day after the integration's last delivery.
            ':expires': Math.ceil(until / 1000) + 86_400,
          },
        }),
      ),
    );
  }

  /** Takes back the shares of holders whose time ran out; returns the permits now free. */
  private async reclaim(integrationId: string, cap: number, now: number): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: this.key(integrationId), ConsistentRead: true }),
    );
    let total = Number(Item?.total ?? 0);
    for (const [name, value] of Object.entries(Item ?? {})) {
      const hold = value as Hold;
      if (!name.startsWith(HOLD_PREFIX) || hold.u > now) continue;
      // Only that very share, in case its holder released it meanwhile.
      if (await this.give(integrationId, name, hold)) total -= hold.n;
    }
    return Math.max(0, cap - total);
  }

  /** Gives back the permits `holder` took. */
  async release(integrationId: string, holder: string, n: number): Promise<void> {
    await this.give(integrationId, HOLD_PREFIX + holder, { n });
  }

  private give(integrationId: string, attribute: string, hold: Pick<Hold, 'n'> & Partial<Hold>) {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(integrationId),
          UpdateExpression: 'REMOVE #h SET #t = #t - :n',
          ConditionExpression: hold.u === undefined ? 'attribute_exists(#h)' : '#h.#u = :u',
          ExpressionAttributeNames: {
            '#h': attribute,
            '#t': 'total',
            ...(hold.u === undefined ? {} : { '#u': 'u' }),
          },
          ExpressionAttributeValues: { ':n': hold.n, ...(hold.u === undefined ? {} : { ':u': hold.u }) },
        }),
      ),
    );
  }
}
