import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { eventually, startTestHub, type TestHub } from '../support/hub.js';
import { closedPort, startPartner } from '../support/partner-server.js';

const repo = new URL('../..', import.meta.url).pathname;
const BIN = join(repo, 'bin', 'cli.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/**
 * Runs `crossdock …` as a user does (the package's bin, on the project's Node) in a child process,
 * never blocking this process, which serves the hub meanwhile.
 */
function crossdock(
  args: string[],
  env: Record<string, string | undefined> = {},
  input?: string,
): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: repo,
    env: { ...baseEnv, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return collect(child, input);
}

function collect(child: ChildProcess, input?: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdin?.end(input ?? '');
  return new Promise((resolve) =>
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    }),
  );
}

let baseEnv: Record<string, string | undefined>;
let hub: TestHub;
let partner: Awaited<ReturnType<typeof startPartner>>;
let config: string;
const ADMIN = 'test-admin-key';

beforeAll(async () => {
  hub = await startTestHub();
  partner = await startPartner((_r, res) => {
    res.statusCode = 500;
    res.end('warehouse closed');
  });
  config = mkdtempSync(join(tmpdir(), 'crossdock-cli-'));
  // The child sees neither this process's hub variables nor the user's own config.
  baseEnv = {
    PATH: process.env.PATH,
    HOME: config,
    XDG_CONFIG_HOME: join(config, 'xdg'),
    NO_COLOR: '1',
  };
});

afterAll(async () => {
  await partner?.stop();
  await hub?.stop();
  rmSync(config, { recursive: true, force: true });
});

/** The environment of a user with no profile who names the hub and key in variables. */
const viaEnv = () => ({ CROSSDOCK_URL: hub.url, CROSSDOCK_ADMIN_KEY: ADMIN });
const profilesFile = () => join(config, 'xdg', 'crossdock', 'profiles.yaml');

describe('crossdock, the operator CLI, as a user runs it', () => {
  it('usage errors exit 2 and say what is wrong; --help exits 0', async () => {
    const help = await crossdock(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('integrations');
    const unknown = await crossdock(['partners', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badLimit = await crossdock(['messages', 'ls', '--limit', '500'], viaEnv());
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('give a whole number from 1 to 100');
    const badStatus = await crossdock(['--json', 'messages', 'ls', '--status', 'lost'], viaEnv());
    expect(badStatus.code).toBe(2);
    expect(JSON.parse(badStatus.stderr).error.code).toBe('usage');
    const badSince = await crossdock(['messages', 'ls', '--since', 'yesterday'], viaEnv());
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('ISO 8601');
  });

  it('without a profile, says to log in (exit 1); an unreachable hub says to start it', async () => {
    const none = await crossdock(['partners', 'ls']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('crossdock login --url');
    const down = await crossdock(['--json', 'partners', 'ls'], {
      CROSSDOCK_URL: `http://127.0.0.1:${await closedPort()}`,
      CROSSDOCK_ADMIN_KEY: ADMIN,
    });
    expect(down.code).toBe(1);
    const { error } = JSON.parse(down.stderr);
    expect(error.code).toBe('connection_refused');
    expect(error.message).toContain('Is the hub running?');
    expect(error.message).toContain('npm start');
  });

  it('login checks the key against the hub, and saves nothing when the hub refuses it', async () => {
    const wrong = await crossdock(['login', '--url', hub.url, '--admin-key', 'not-the-key']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused this admin key (401)');
    expect(() => statSync(profilesFile())).toThrow();
  });

  it('login writes the profile with mode 0600, and commands use it', async () => {
    const login = await crossdock(['--json', 'login', '--url', `${hub.url}/`, '--admin-key', ADMIN]);
    expect(login.code).toBe(0);
    expect(login.json).toEqual({ profile: 'default', url: hub.url, file: profilesFile() });
    expect(statSync(profilesFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(config, 'xdg', 'crossdock')).mode & 0o777).toBe(0o700);
    const saved = YAML.parse(readFileSync(profilesFile(), 'utf8'));
    expect(saved).toEqual({ current: 'default', profiles: { default: { url: hub.url, adminKey: ADMIN } } });

    // A second profile, the key read from stdin (as a pipe gives it), becomes the current one.
    const second = await crossdock(['login', '--profile', 'other', '--url', hub.url], {}, `${ADMIN}\n`);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('profile "other"');
    expect(statSync(profilesFile()).mode & 0o777).toBe(0o600);
    expect(YAML.parse(readFileSync(profilesFile(), 'utf8')).current).toBe('other');

    const ls = await crossdock(['--json', 'partners', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.json).toEqual({ partners: [] });
  });

  it('a bad profile fails with a clear message: garbled, unreadable, unknown name, wrong key', async () => {
    const good = readFileSync(profilesFile(), 'utf8');
    try {
      writeFileSync(profilesFile(), 'profiles: [this is: not {a profile');
      const garbled = await crossdock(['partners', 'ls']);
      expect(garbled.code).toBe(1);
      expect(garbled.stderr).toContain(`The profiles file ${profilesFile()} is not valid`);
      expect(garbled.stderr).toContain('crossdock login');

      writeFileSync(
        profilesFile(),
        YAML.stringify({ profiles: { default: { url: 'not a url', adminKey: 'k' } } }),
      );
      const invalid = await crossdock(['partners', 'ls']);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toContain('profiles.default.url');

      writeFileSync(profilesFile(), good);
      const unknown = await crossdock(['--profile', 'nope', 'partners', 'ls']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('There is no profile "nope"');

      writeFileSync(
        profilesFile(),
        YAML.stringify({ current: 'stale', profiles: { stale: { url: hub.url, adminKey: 'an-old-key' } } }),
      );
      const stale = await crossdock(['--json', 'partners', 'ls']);
      expect(stale.code).toBe(1);
      const { error } = JSON.parse(stale.stderr);
      expect(error.status).toBe(401);
      expect(error.message).toContain('run `crossdock login`');
      // The environment's key wins over the profile's.
      expect((await crossdock(['partners', 'ls'], { CROSSDOCK_ADMIN_KEY: ADMIN })).code).toBe(0);

      // A file that cannot be read (here a folder where the file should be; root reads any mode).
      rmSync(profilesFile());
      mkdirSync(profilesFile());
      const unreadable = await crossdock(['partners', 'ls']);
      expect(unreadable.code).toBe(1);
      expect(unreadable.stderr).toContain(`Cannot read the profiles file ${profilesFile()} (EISDIR)`);
      // The environment alone still works without reading it.
      expect((await crossdock(['partners', 'ls'], viaEnv())).code).toBe(0);
    } finally {
      rmSync(profilesFile(), { recursive: true, force: true });
      writeFileSync(profilesFile(), good);
      chmodSync(profilesFile(), 0o600);
    }
  });

  it('partners add|ls|show and keys add|revoke', async () => {
    for (const [code, name] of [
      ['erp', 'Our ERP'],
      ['wms', 'The 3PL'],
      ['shop', 'The shop'],
    ]) {
      const added = await crossdock(['--json', 'partners', 'add', code as string, '--name', name as string]);
      expect(added.code).toBe(0);
      expect(added.json).toMatchObject({ code, name });
    }
    const again = await crossdock(['partners', 'add', 'erp', '--name', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409');

    const ls = await crossdock(['partners', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout.split('\n')[0]).toBe('CODE\tNAME\tCREATED');
    expect(ls.stdout).toContain('erp\tOur ERP\t');

    const key = await crossdock([
      '--json',
      'keys',
      'add',
      'erp',
      '--scope',
      'messages',
      '--label',
      'cli test',
    ]);
    expect(key.code).toBe(0);
    expect(key.json).toMatchObject({ scopes: ['messages'], label: 'cli test' });
    expect(key.json.key).toMatch(/^cdk_/);
    const plain = await crossdock(['keys', 'add', 'erp']);
    expect(plain.stdout.trim()).toMatch(/^cdk_\S+$/); // the key alone on stdout, for KEY=$(…)
    expect(plain.stderr).toContain('shown only now');
    expect((await crossdock(['keys', 'add', 'erp', '--scope', 'everything'])).code).toBe(2);

    const show = await crossdock(['--json', 'partners', 'show', 'erp']);
    expect(show.json.keys.map((k: { id: string }) => k.id)).toContain(key.json.id);
    expect(JSON.stringify(show.json)).not.toContain(key.json.key);

    const revoked = await crossdock(['keys', 'revoke', 'erp', key.json.id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${key.json.id}`);
    const refused = await hub.partner(
      'POST',
      '/v1/messages?sender=erp&receiver=wms&doctype=order',
      key.json.key,
      {
        body: '{}',
        headers: { 'content-type': 'application/json' },
      },
    );
    expect(refused.status).toBe(403);
    const missing = await crossdock(['partners', 'show', 'ghost']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
  });

  it('integrations apply -f file.yaml creates, then updates the same one by name (never a duplicate)', async () => {
    const file = join(config, 'orders.yaml');
    const declared = {
      name: 'orders to wms',
      direction: 'Outbound',
      entity: 'order',
      consentType: 'None',
      receiver: 'wms',
      maxAttempts: 2,
      delivery: { mode: 'push', url: partner.url, format: 'raw', retrySchedule: [1] },
    };
    writeFileSync(file, `# the 3PL gets our orders\n${YAML.stringify(declared)}`);
    const created = await crossdock(['--json', 'integrations', 'apply', '-f', file]);
    expect(created.code).toBe(0);
    expect(created.json.applied).toHaveLength(1);
    expect(created.json.applied[0].action).toBe('created');
    expect(created.json.applied[0].integration.secret).toMatch(/^whsec_/);
    const id = created.json.applied[0].integration.id;

    expect((await crossdock(['--json', 'integrations', 'apply', '-f', file])).json.applied[0]).toMatchObject({
      action: 'unchanged',
      integration: { id },
    });

    writeFileSync(file, YAML.stringify({ ...declared, notes: 'orders, pushed raw' }));
    const updated = await crossdock(['integrations', 'apply', '-f', file]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain(`updated   orders to wms (${id})`);

    const ls = await crossdock(['--json', 'integrations', 'ls']);
    expect(ls.json.integrations.filter((i: { name: string }) => i.name === 'orders to wms')).toHaveLength(1);
    expect(ls.json.integrations[0]).toMatchObject({ id, notes: 'orders, pushed raw' });

    // show prints YAML that apply takes back as it is; JSON files are applied too.
    const shown = await crossdock(['integrations', 'show', 'orders to wms']);
    expect(YAML.parse(shown.stdout)).toMatchObject({
      id,
      name: 'orders to wms',
      notes: 'orders, pushed raw',
    });
    writeFileSync(file, shown.stdout);
    expect((await crossdock(['--json', 'integrations', 'apply', '-f', file])).json.applied[0].action).toBe(
      'unchanged',
    );
    const json = join(config, 'shop.json');
    writeFileSync(json, JSON.stringify([{ ...declared, name: 'orders to shop', receiver: 'shop' }]));
    const fromJson = await crossdock(['--json', 'integrations', 'apply', '-f', json]);
    expect(fromJson.json.applied[0].action).toBe('created');

    // The hub's rules answer as the hub words them; a file that is not YAML is a usage error.
    writeFileSync(file, YAML.stringify({ ...declared, maxAttempts: 99 }));
    const refused = await crossdock(['integrations', 'apply', '-f', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('maxAttempts');
    writeFileSync(file, 'name: [unclosed');
    expect((await crossdock(['integrations', 'apply', '-f', file])).code).toBe(2);
    expect((await crossdock(['integrations', 'apply', '-f', join(config, 'missing.yaml')])).code).toBe(2);

    const gone = await crossdock(['integrations', 'rm', 'orders to shop']);
    expect(gone.code).toBe(0);
    expect((await crossdock(['integrations', 'show', 'orders to shop'])).code).toBe(1);
  });

  let failedId: string;
  let erpKey: string;

  it('messages ls: filters and cursor paging', async () => {
    erpKey = (await hub.admin('POST', '/admin/partners/erp/keys', {})).json.key;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await hub.partner(
        'POST',
        '/v1/messages?sender=erp&receiver=wms&doctype=order&version=1',
        erpKey,
        {
          body: JSON.stringify({ orderNo: `SO-${i}` }),
          headers: { 'content-type': 'application/json' },
        },
      );
      expect(r.status).toBe(202);
      ids.push(r.json.id);
    }
    failedId = ids[4] as string;
    const all = await eventually(async () => {
      const r = await crossdock(['--json', 'messages', 'ls', '--receiver', 'wms']);
      return r.json?.messages.length === 5 ? r.json.messages : undefined;
    });
    expect(all.map((m: { id: string }) => m.id)).toEqual([...ids].reverse()); // newest first

    const first = await crossdock(['--json', 'messages', 'ls', '--sender', 'erp', '--limit', '2']);
    expect(first.json.messages).toHaveLength(2);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await crossdock([
      '--json',
      'messages',
      'ls',
      '--sender',
      'erp',
      '--limit',
      '2',
      '--cursor',
      first.json.nextCursor,
    ]);
    expect(second.json.messages.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]]);
    const paged = await crossdock(['--json', 'messages', 'ls', '--partner', 'wms', '--limit', '2', '--all']);
    expect(paged.json.messages.map((m: { id: string }) => m.id)).toEqual([...ids].reverse());
    expect(paged.json.nextCursor).toBeUndefined();
    const human = await crossdock(['messages', 'ls', '--limit', '2']);
    expect(human.stderr).toContain('More: --cursor ');

    const none = await crossdock(['--json', 'messages', 'ls', '--receiver', 'shop']);
    expect(none.json.messages).toEqual([]);
    const byDoctype = await crossdock(['--json', 'messages', 'ls', '--doctype', 'invoice']);
    expect(byDoctype.json.messages).toEqual([]);
    const byIntegration = await crossdock([
      '--json',
      'messages',
      'ls',
      '--integration',
      'orders to wms',
      '--limit',
      '100',
    ]);
    expect(byIntegration.json.messages).toHaveLength(5);
    const since = await crossdock(['--json', 'messages', 'ls', '--since', all[1].receivedAt]);
    expect(since.json.messages.map((m: { id: string }) => m.id)).toEqual([ids[4], ids[3]]);
    const until = await crossdock([
      '--json',
      'messages',
      'ls',
      '--until',
      all[3].receivedAt,
      '--since',
      '1h',
    ]);
    expect(until.json.messages.map((m: { id: string }) => m.id)).toEqual([ids[1], ids[0]]);
    const failed = await eventually(async () => {
      const r = await crossdock(['--json', 'messages', 'ls', '--status', 'failed']);
      return r.json?.messages.length === 5 ? r.json.messages : undefined;
    });
    expect(failed[0].deliveries[0]).toMatchObject({ status: 'failed', attempts: 2, lastStatusCode: 500 });
    const unknownIntegration = await crossdock(['messages', 'ls', '--integration', 'nothing like it']);
    expect(unknownIntegration.code).toBe(1);
    expect(unknownIntegration.stderr).toContain('crossdock integrations ls');
  });

  it('messages show: the envelope and a timeline of every attempt of a real failed delivery', async () => {
    const json = await crossdock(['--json', 'messages', 'show', failedId]);
    expect(json.code).toBe(0);
    expect(json.json).toMatchObject({ id: failedId, status: 'failed', sender: 'erp', receiver: 'wms' });
    const [delivery] = json.json.deliveries;
    expect(delivery.attempts.map((a: { n: number; statusCode: number }) => [a.n, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
    ]);

    const shown = await crossdock(['messages', 'show', failedId]);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines[0]).toBe(`Message ${failedId}  failed`);
    expect(shown.stdout).toContain('route     erp → wms');
    expect(shown.stdout).toMatch(/Delivery 1\/1 {2}orders to wms \(int_\S+\) {2}push {2}failed/);
    const attempts = lines.filter((l) => /^\s+#\d/.test(l));
    expect(attempts).toHaveLength(2);
    for (const [i, line] of attempts.entries()) {
      const [n, at, status, duration] = line.trim().split('\t');
      expect(n).toBe(`#${i + 1}`);
      expect(at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(status).toBe('500');
      expect(duration).toMatch(/^\d+ ms$/);
    }
    expect(shown.stdout).toContain('reason');
    expect(shown.stdout).toContain('response 500');
    expect(shown.stdout).toContain('warehouse closed');

    const missing = await crossdock(['messages', 'show', 'msg_nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
  });

  it('messages retry: the failed delivery starts again and is delivered', async () => {
    partner.respondWith((_r, res) => res.end('thanks'));
    const retried = await crossdock(['--json', 'messages', 'retry', failedId]);
    expect(retried.code).toBe(0);
    expect(retried.json.retried).toHaveLength(1);
    const delivered = await eventually(async () => {
      const r = await crossdock(['--json', 'messages', 'show', failedId]);
      return r.json?.status === 'delivered' ? r.json : undefined;
    });
    expect(delivered.deliveries[0].attempts.at(-1)).toMatchObject({ statusCode: 200 });
    const nothing = await crossdock(['messages', 'retry', failedId]);
    expect(nothing.stdout).toContain('no failed delivery to retry');
  });

  it('messages replay: a dry run counts, the job restarts exactly that many, and a second replay finds none', async () => {
    // The partner answers 200 since the retry above; the other failed messages of the log test remain.
    const since = new Date(Date.now() - 3_600_000).toISOString();
    const dry = await crossdock([
      '--json',
      'messages',
      'replay',
      '--since',
      since,
      '--status',
      'failed',
      '--dry-run',
    ]);
    expect(dry.code).toBe(0);
    expect(dry.json.matched).toBeGreaterThan(0);
    const human = await crossdock(['messages', 'replay', '--since', '1h', '--dry-run']);
    expect(human.stdout.trim()).toBe(
      `${dry.json.matched} ${dry.json.matched === 1 ? 'delivery matches' : 'deliveries match'}.`,
    );

    const run = await crossdock(['--json', 'messages', 'replay', '--since', since, '--status', 'failed']);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({
      status: 'done',
      matched: dry.json.matched,
      done: dry.json.matched,
      failed: 0,
    });
    const again = await crossdock(['--json', 'messages', 'replay', '--since', since, '--dry-run']);
    expect(again.json.matched).toBe(0);
    const missing = await crossdock(['messages', 'replay', '--status', 'failed']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--since');
  });

  it('stats and integrations enable', async () => {
    const stats = await crossdock(['--json', 'stats', '--since', '1h']);
    expect(stats.code).toBe(0);
    expect(stats.json.delivered).toBeGreaterThan(0);
    expect(stats.json.integrations.length).toBeGreaterThan(0);
    const human = await crossdock(['stats']);
    expect(human.stdout).toMatch(
      /^Since .*: \d+ accepted, \d+ delivered, \d+ failed, \d+ retrying, \d+ held$/m,
    );
    expect(human.stdout).toContain('INTEGRATION\tHEALTH\tDELIVERED');

    // A healthy integration: enabling it is a no-op that answers it as it is.
    const enabled = await crossdock(['integrations', 'enable', 'orders to wms']);
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toMatch(/^Enabled orders to wms \(int_\S+\): health ok\.$/m);
    const unknown = await crossdock(['integrations', 'enable', 'no such integration']);
    expect(unknown.code).toBe(1);
  });

  it("packets ls: an area's sync packets, newest first, with --status", async () => {
    await hub.admin('POST', '/admin/partners', { code: 'AREA51', name: 'ERP area' });
    const erpKey = (await hub.admin('POST', '/admin/partners/AREA51/keys', { scopes: ['erp'] })).json.key;
    const pushed: string[] = [];
    for (const uid of ['p-1', 'p-2']) {
      const r = await hub.partner(
        'GET',
        `/erp/push/AREA51/user1?packetUniqueId=${uid}&size=10&packetType=xml`,
        erpKey,
      );
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      pushed.push(r.json.syncLogId);
    }
    const json = await crossdock(['--json', 'packets', 'ls', 'AREA51']);
    expect(json.code).toBe(0);
    expect(json.json.packets.map((p: { syncLogId: string }) => p.syncLogId)).toEqual([...pushed].reverse());
    expect(json.json.packets[0]).toMatchObject({
      status: 'awaiting',
      mobileUser: 'user1',
      direction: 'toDevice',
    });
    const human = await crossdock(['packets', 'ls', 'AREA51', '--status', 'awaiting']);
    expect(human.stdout.split('\n')[0]).toBe(
      'CREATED\tSYNC LOG ID\tSTATUS\tDIRECTION\tUSER\tTYPE\tSIZE\tREASON',
    );
    expect(human.stdout).toContain(pushed[0]);
    const none = await crossdock(['--json', 'packets', 'ls', 'AREA51', '--status', 'failed']);
    expect(none.json.packets).toEqual([]);
    expect((await crossdock(['packets', 'ls', 'AREA51', '--status', 'lost'])).code).toBe(2);
  });

  it('messages tail prints each new message once, until Ctrl-C (exit 0)', async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--json',
        'messages',
        'tail',
        '--receiver',
        'wms',
        '--interval',
        '200',
        '--since',
        new Date().toISOString(),
      ],
      { cwd: repo, env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const done = collect(child);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const posted: string[] = [];
    for (const receiver of ['wms', 'shop', 'wms']) {
      const r = await hub.partner(
        'POST',
        `/v1/messages?sender=erp&receiver=${receiver}&doctype=order`,
        erpKey,
        {
          body: '{}',
          headers: { 'content-type': 'application/json' },
        },
      );
      // shop has no integration any more: 422, and nothing to tail.
      if (r.status === 202) posted.push(r.json.id);
    }
    await eventually(async () => (out.trim().split('\n').filter(Boolean).length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 600)); // a few more polls: nothing is printed twice
    child.kill('SIGINT');
    const { code, stdout } = await done;
    expect(code).toBe(0);
    const tailed = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(tailed.map((m: { id: string }) => m.id)).toEqual(posted);
  });

  it('events ls: the operational events, with --type and paging', async () => {
    const events = await crossdock(['--json', 'events', 'ls', '--type', 'delivery.exhausted', '--all']);
    expect(events.code).toBe(0);
    expect(events.json.events.length).toBeGreaterThanOrEqual(5);
    expect(events.json.events.map((e: { messageId: string }) => e.messageId)).toContain(failedId);
    const page = await crossdock(['--json', 'events', 'ls', '--limit', '1']);
    expect(page.json.events).toHaveLength(1);
    expect(page.json.nextCursor).toEqual(expect.any(String));
    const human = await crossdock(['events', 'ls', '--limit', '3']);
    expect(human.stdout.split('\n')[0]).toBe('AT\tTYPE\tINTEGRATION\tMESSAGE\tPARTNER\tDETAIL');
    expect(human.stdout).toContain('delivery.exhausted');
  });
  it('events tail prints operational events as they happen, until Ctrl-C (exit 0)', async () => {
    partner.respondWith((_r, res) => {
      res.statusCode = 500;
      res.end('closed again');
    });
    const child = spawn(
      process.execPath,
      [
        BIN,
        '--json',
        'events',
        'tail',
        '--type',
        'delivery.exhausted',
        '--interval',
        '200',
        '--since',
        new Date().toISOString(),
      ],
      { cwd: repo, env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const done = collect(child);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const r = await hub.partner('POST', '/v1/messages?sender=erp&receiver=wms&doctype=order', erpKey, {
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(202);
    await eventually(async () => (out.includes('\n') ? true : undefined));
    child.kill('SIGINT');
    const { code, stdout } = await done;
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toEqual([expect.objectContaining({ type: 'delivery.exhausted', messageId: r.json.id })]);
  });
});
