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
 * one write and gives them back with one more: two write units per batch instead of two per message
 * (a refused take costs a write unit and a read as well).
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
   * Takes up to `wanted` of the integration's `cap` permits until `until` (epoch ms); returns how many
   * it got (0 when none are free). Shares whose holder outlived its time are reclaimed on the way.
   * `holder` must be new for each call.
   */
  async acquire(
    integrationId: string,
    holder: string,
    wanted: number,
    cap: number,
    now: number,
    until: number,
  ) {
    let n = Math.min(wanted, cap);
    for (let round = 0; round < 2 && n > 0; round++) {
      if (await this.take(integrationId, holder, n, cap, until)) return n;
      const state = await this.recount(integrationId, now);
      // A take whose answer was lost and retried by the SDK did land: the share is there.
      const mine = state.holds.get(HOLD_PREFIX + holder);
      if (mine) return mine.n;
      n = Math.min(n, Math.max(0, cap - state.total));
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
          // Never twice for one holder: a repeated write would count its share twice.
          ConditionExpression: 'attribute_not_exists(#h) AND (attribute_not_exists(#t) OR #t <= :room)',
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

  /**
   * Reads the item; when shares have run out, or `total` disagrees with the shares (however that came
   * about), removes those shares and sets `total` to what the live shares hold, in one write that
   * applies only if nothing changed since the read. Returns the live shares and their total.
   */
  private async recount(integrationId: string, now: number) {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: this.key(integrationId), ConsistentRead: true }),
    );
    const holds = new Map<string, Hold>();
    const stale: string[] = [];
    for (const [name, value] of Object.entries(Item ?? {})) {
      if (!name.startsWith(HOLD_PREFIX)) continue;
      const hold = value as Hold;
      if (hold.u > now) holds.set(name, hold);
      else stale.push(name);
    }
    const live = [...holds.values()].reduce((sum, h) => sum + h.n, 0);
    const total = Number(Item?.total ?? 0);
    if (Item && (stale.length > 0 || total !== live)) {
      const names = Object.fromEntries(stale.map((name, i) => [`#s${i}`, name]));
      const fixed = await conditional(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: this.key(integrationId),
            UpdateExpression: `SET #t = :live${stale.length ? ` REMOVE ${Object.keys(names).join(', ')}` : ''}`,
            // Only if no take or release came in between (a release always changes `total`).
            ConditionExpression: [
              '#t = :total',
              ...[...holds.keys()].map((_, i) => `attribute_exists(#l${i})`),
              ...Object.keys(names).map((alias) => `attribute_exists(${alias})`),
            ].join(' AND '),
            ExpressionAttributeNames: {
              '#t': 'total',
              ...names,
              ...Object.fromEntries([...holds.keys()].map((name, i) => [`#l${i}`, name])),
            },
            ExpressionAttributeValues: { ':live': live, ':total': total },
          }),
        ),
      );
      // Someone else changed it meanwhile: assume nothing is free this time.
      if (!fixed) return { holds, total: Number.POSITIVE_INFINITY };
    }
    return { holds, total: live };
  }

  /** Gives back the permits `holder` took; nothing when they were reclaimed already. */
  async release(integrationId: string, holder: string, n: number): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(integrationId),
          UpdateExpression: 'REMOVE #h SET #t = #t - :n',
          ConditionExpression: 'attribute_exists(#h)',
          ExpressionAttributeNames: { '#h': HOLD_PREFIX + holder, '#t': 'total' },
          ExpressionAttributeValues: { ':n': n },
        }),
      ),
    );
  }
}
