import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startHub } from '../lib/local/hub.js';
import { orderDocument } from './deliver.js';
import { runLoad } from './load.js';
import { acceptCalls, BENCH_ADMIN_KEY, registerSenderAndReceiver } from './setup.js';

/**
 * POST /v1/messages through the local hub (delivery pollers off, so only accepting is measured) next
 * to the floor: the DynamoDB and SQS calls an accept makes, issued directly against the same emulators.
 */
export async function benchAccept(count = 2000, concurrency = 16, bytes = 2048) {
  const hub = await startHub({ port: 0, inMemory: true, adminKey: BENCH_ADMIN_KEY, deliveryConcurrency: 0 });
  try {
    const key = await registerSenderAndReceiver(hub, { url: 'http://127.0.0.1:9/unused' });
    const body = orderDocument(bytes);
    const post = async () => {
      const r = await fetch(`${hub.url}/v1/messages?sender=a&receiver=b&doctype=order`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body,
      });
      if (r.status !== 202) throw new Error(`accept answered ${r.status}`);
      await r.arrayBuffer();
    };
    await runLoad(200, concurrency, post); // warm-up
    const hubRun = await runLoad(count, concurrency, post);

    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL_SQS });
    const payload = Buffer.from(body);
    const floor = async (i: number) => {
      const pk = `MSG#floor-${i}`;
      await acceptCalls(db, sqs, pk, payload, JSON.stringify({ messageId: pk }));
    };
    await runLoad(200, concurrency, floor);
    const floorRun = await runLoad(count, concurrency, floor);
    db.destroy();
    sqs.destroy();
    return {
      count,
      concurrency,
      bytes,
      hubPerSecond: hubRun.perSecond,
      hubMedianMs: hubRun.medianMs,
      hubP99Ms: hubRun.p99Ms,
      floorPerSecond: floorRun.perSecond,
    };
  } finally {
    await hub.stop();
  }
}
