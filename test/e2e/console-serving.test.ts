import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../functions/http/console-files.js';
import { repoRoot } from '../../lib/bundling.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** The hub serves the built console (test/support/console-build.ts) at /console, with no browser needed. */
describe('the console’s files, served by the hub', () => {
  let hub: TestHub;
  const assets = readdirSync(join(repoRoot, 'console', 'dist', 'assets'));
  const script = assets.find((a) => a.endsWith('.js')) as string;
  const style = assets.find((a) => a.endsWith('.css')) as string;

  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers its page at /console and at every path under it (the app routes itself)', async () => {
    for (const path of [
      '/console',
      '/console/',
      '/console/messages',
      '/console/messages/msg_1?status=failed',
    ]) {
      const r = await fetch(`${hub.url}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(r.headers.get('cache-control'), path).toBe('no-cache');
      const html = await r.text();
      expect(html, path).toContain(`src="/console/assets/${script}"`);
      // No inline script: every <script> has a src.
      expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g), path).toBeNull();
    }
  });

  it('sends a policy that allows no inline script and no framing, and no sniffing', async () => {
    const r = await fetch(`${hub.url}/console`);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('serves the hashed assets with their types, cached for good, and 404 for any other name', async () => {
    const js = await fetch(`${hub.url}/console/assets/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await js.text()).length).toBeGreaterThan(1000);
    const css = await fetch(`${hub.url}/console/assets/${style}`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const missing = await fetch(`${hub.url}/console/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('keeps /health and /openapi.json answering from the same function', async () => {
    expect((await hub.admin('GET', '/health')).json.status).toBe('ok');
    const doc = (await hub.admin('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/console', '/console/{proxy}']));
  });
});
