import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface HubProcessOptions {
  dataDir: string;
  adminKey: string;
  /** 0 for any free port; a fixed port keeps the hub's URL (and the links it signs) across restarts. */
  port?: number;
  /** CROSSDOCK_QUEUE_VISIBILITY_SECONDS: how long an unfinished job stays hidden after a crash. */
  visibilitySeconds?: number;
  /** Receives everything the hub writes on stdout and stderr. */
  onOutput?: (chunk: string) => void;
  startTimeoutMs?: number;
}

export interface HubProcess {
  url: string;
  child: ChildProcess;
  pid: number;
  /** The hub's peak resident set so far (VmHWM, KiB), read from /proc; undefined once it is gone. */
  peakRssKiB(): number | undefined;
  /** SIGKILL: no shutdown code runs, as when a machine loses power. */
  kill(): Promise<void>;
  /** SIGTERM, the hub's orderly stop. */
  stop(): Promise<void>;
}

/**
 * Runs `bin/local.ts` in a child process of its own (node with tsx's loader, no npx in between, so
 * the child's pid is the hub's) on a data folder, and waits until it prints its API address.
 */
export async function startHubProcess(o: HubProcessOptions): Promise<HubProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bin/local.ts', '--port', String(o.port ?? 0), '--quiet'],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        CROSSDOCK_DATA_DIR: o.dataDir,
        CROSSDOCK_ADMIN_KEY: o.adminKey,
        ...(o.visibilitySeconds === undefined
          ? {}
          : { CROSSDOCK_QUEUE_VISIBILITY_SECONDS: String(o.visibilitySeconds) }),
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  const onData = (c: Buffer) => {
    const s = c.toString();
    if (out.length < 64_000) out += s;
    o.onOutput?.(s);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const until = Date.now() + (o.startTimeoutMs ?? 60_000);
  let url: string | undefined;
  while (!url) {
    url = /API\s+(http:\/\/\S+)/.exec(out)?.[1];
    if (url) break;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the hub exited while starting:\n${out.slice(-4000)}`);
    if (Date.now() > until) {
      process.kill(-(child.pid as number), 'SIGKILL');
      throw new Error(`the hub did not start within its time:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid as number;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    child,
    pid,
    peakRssKiB() {
      try {
        const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
    async kill() {
      if (alive()) process.kill(-pid, 'SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) process.kill(-pid, 'SIGTERM');
      await exited;
    },
  };
}
