import {
  SHARED_DYNAMODB_LOCAL_ENV,
  startDynamoDbLocal,
  useDynamoDbLocal,
} from '../../lib/local/dynamodb-local.js';

/**
 * Vitest global setup: on a DynamoDB Local run (`npm run test:dynamodb-local`), starts the one JVM
 * every test file's hub shares (each with its own table prefix) and stops it after the run. Test files
 * are forked after this runs, so they inherit the endpoint from the environment.
 * `CROSSDOCK_DYNAMODB_LOCAL_SHARED=false` gives each hub its own JVM instead.
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (!useDynamoDbLocal() || process.env.CROSSDOCK_DYNAMODB_LOCAL_SHARED === 'false') return undefined;
  const local = await startDynamoDbLocal();
  process.env[SHARED_DYNAMODB_LOCAL_ENV] = local.endpoint;
  return async () => {
    delete process.env[SHARED_DYNAMODB_LOCAL_ENV];
    await local.stop();
  };
}
