import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { REFUSAL_RETENTION_DAYS, type RefusalRecord } from '../core/refusals.js';
import { dynamoClient } from './aws.js';

/**
 * Refused requests, one small item each in the messages table under the partner's partition
 * (`REFUSED#<code>`, sorted by time), with a TTL of REFUSAL_RETENTION_DAYS. Listing a partner's is one
 * Query of its partition, newest first.
 */
export class RefusalLog {
  constructor(private readonly table: string) {}

  async record(partner: string, r: RefusalRecord, requestId: string): Promise<void> {
    const at = Date.parse(r.at);
    await dynamoClient().send(
      new PutCommand({
        TableName: this.table,
        // `answered`, not `status`: status is the key of the byDeliveryStatus index, which takes strings.
        Item: {
          pk: `REFUSED#${partner}`,
          sk: `${r.at}#${requestId.slice(0, 64)}`,
          at: r.at,
          method: r.method,
          path: r.path,
          answered: r.status,
          code: r.code,
          ...(r.userAgent ? { userAgent: r.userAgent } : {}),
          expiresAt: Math.floor(at / 1000) + REFUSAL_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  /** The partner's refused requests since `since` (ISO), newest first, at most `limit`. */
  async list(partner: string, since: string, limit: number): Promise<RefusalRecord[]> {
    const r = await dynamoClient().send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk >= :since',
        ExpressionAttributeValues: { ':pk': `REFUSED#${partner}`, ':since': since },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (r.Items ?? []).map((i) => ({
      at: String(i.at),
      method: String(i.method),
      path: String(i.path),
      status: Number(i.answered),
      code: String(i.code),
      ...(typeof i.userAgent === 'string' ? { userAgent: i.userAgent } : {}),
    }));
  }
}
