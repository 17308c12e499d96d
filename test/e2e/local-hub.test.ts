import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** Starts the hub the way a user does, `npm start -- …`, and waits for its start-up banner. */
async function npmStart(args: string[], env: Record<string, string> = {}) {
  const child = spawn('npm', ['start', '--silent', '--', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const until = Date.now() + 60_000;
  while (!out.includes('Press Ctrl+C')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`the hub did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const field = (re: RegExp) => re.exec(out)?.[1] ?? '';
  return {
    child,
    output: () => out,
    url: field(/API\s+(http:\/\/\S+)/),
    adminKey: field(/Admin key\s+(\S+)/),
    acmeKey: field(/acme\s+\(sender\)\s+key (\S+)/),
  };
}

/**
 * Stops the hub as Ctrl+C would (the whole process group) and waits until every process of the group
 * is gone: npm can exit before the hub under it has closed its data folder, and a hub started on that
 * folder meanwhile would find it still in use.
 */
async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const group = child.pid;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-group, 'SIGTERM');
  await exited;
  const alive = () => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  const until = Date.now() + 15_000;
  while (alive() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

describe('the local hub as a user runs it', () => {
  const started: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map(stop));
  });

  it('npm start -- --in-memory --demo: the printed curl line delivers a message', async () => {
    const hub = await npmStart(['--in-memory', '--demo']);
    started.push(hub.child);
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(hub.output()).toContain('in memory');
    const curl = /curl -s -X POST '([^']+)'/.exec(hub.output())?.[1];
    expect(curl).toBeDefined();
    const accepted = await fetch(curl as string, {
      method: 'POST',
      headers: { 'x-api-key': hub.acmeKey, 'content-type': 'application/json' },
      body: '{"orderNo":"SO-1001","lines":2}',
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    let status = '';
    for (let i = 0; i < 100 && status !== 'delivered'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(`${hub.url}/v1/messages/${id}`, { headers: { 'x-api-key': hub.acmeKey } });
      status = ((await r.json()) as { status: string }).status;
    }
    expect(status).toBe('delivered');
    expect(hub.output()).toMatch(/demo receiver ← msg_\S+ from acme \(31 bytes, signature ok\)/);
  });

  it('keeps data and the admin key in the data folder across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'crossdock-e2e-'));
    try {
      const first = await npmStart(['--quiet'], { CROSSDOCK_DATA_DIR: dataDir });
      expect(first.output()).toContain('generated, saved to');
      expect(readFileSync(join(dataDir, 'admin-key'), 'utf8').trim()).toBe(first.adminKey);
      const created = await fetch(`${first.url}/admin/partners`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'kept', name: 'Kept across restarts' }),
      });
      expect(created.status).toBe(201);
      await stop(first.child);

      const second = await npmStart(['--quiet'], { CROSSDOCK_DATA_DIR: dataDir });
      started.push(second.child);
      expect(second.adminKey).toBe(first.adminKey);
      expect(second.output()).toContain('data folder');
      const read = await fetch(`${second.url}/admin/partners/kept`, {
        headers: { authorization: `Bearer ${second.adminKey}` },
      });
      expect(read.status).toBe(200);
      await stop(second.child);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
