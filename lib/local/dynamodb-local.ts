import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/**
 * DynamoDB Local, AWS's own emulator (a Java program), as a second DynamoDB beside dynalite: the
 * integration suite runs on it too (`npm run test:dynamodb-local`) because it is the closer copy of
 * the real service. Its jar ships inside the npm package `amplify-dynamodb-simulator`, so nothing is
 * downloaded at install or run time; it needs `java` (17 or later) on the PATH.
 */
export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** `CROSSDOCK_DYNAMODB=local` puts DynamoDB Local in place of dynalite in the embedded AWS. */
export const useDynamoDbLocal = (): boolean => process.env.CROSSDOCK_DYNAMODB === 'local';

/**
 * Set by the test run's global setup to the one DynamoDB Local the whole run shares; an embedded AWS
 * then uses it instead of starting its own JVM.
 */
export const SHARED_DYNAMODB_LOCAL_ENV = 'CROSSDOCK_DYNAMODB_LOCAL_ENDPOINT';

function emulatorDir(): string {
  // The package's main module needs Amplify's CLI core; only its files are used, so resolve its
  // package.json rather than importing it.
  const pkg = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  const dir = join(dirname(pkg), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar')))
    throw new Error(`DynamoDBLocal.jar is missing from ${dir}`);
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/** Answers once the emulator takes HTTP requests (any status will do: it is up). */
async function waitUntilAnswering(
  endpoint: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}): ${output()}`);
    }
    try {
      await fetch(endpoint, { method: 'POST', signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      if (Date.now() > until) throw new Error(`DynamoDB Local did not answer within 60 s: ${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts DynamoDB Local on a free loopback port: in memory, or keeping its files in `dataDir`.
 * Without `-sharedDb` it keeps one database per access key and region, which is what lets one
 * process serve several hubs (each with its own key) without their tables meeting.
 */
export async function startDynamoDbLocal(options: { dataDir?: string } = {}): Promise<DynamoDbLocal> {
  const cwd = emulatorDir();
  const port = await freePort();
  const storage = options.dataDir ? ['-dbPath', resolve(options.dataDir)] : ['-inMemory'];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = spawn(
    'java',
    [
      // A test run starts several; each needs little heap for test-sized tables.
      `-Xmx${process.env.CROSSDOCK_DYNAMODB_LOCAL_HEAP ?? '256m'}`,
      // SQLite's native library (even in memory) is looked up there.
      `-Djava.library.path=${join(cwd, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(cwd, 'DynamoDBLocal.jar'),
      '-port',
      String(port),
      ...storage,
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`could not start java for DynamoDB Local: ${e.message}`))),
  );
  // A JVM outliving the Node process that started it would hold its port and memory.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitUntilAnswering(endpoint, child, () => output), spawnFailed]);
  } catch (e) {
    process.off('exit', killOnExit);
    child.kill('SIGKILL');
    throw e;
  }
  return {
    endpoint,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
