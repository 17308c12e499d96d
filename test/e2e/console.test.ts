import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/bundling.js';
import { findChromium, NO_CHROMIUM } from '../support/browser.js';
import { eventually, outboundIntegration, startTestHub, type TestHub } from '../support/hub.js';
import { startPartner } from '../support/partner-server.js';

/**
 * The operator console in a real browser (Debian's Chromium driven by playwright-core) against a
 * real local hub with real traffic to a real partner server. Screenshots of every page at 1280 and
 * 390 px go to console/screenshots/ (not committed). The console is built by the global setup
 * (test/support/console-build.ts).
 */
const executablePath = findChromium();
if (!executablePath) console.log(NO_CHROMIUM);

const SHOTS = join(repoRoot, 'console', 'screenshots');
const ZONE = 'America/New_York';
const ADMIN = 'test-admin-key';

/** A `datetime-local` value in ZONE. */
const inZone = (d: Date) =>
  new Intl.DateTimeFormat('sv-SE', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  })
    .format(d)
    .replace(' ', 'T');

describe.skipIf(!executablePath)('the operator console in Chromium', () => {
  let hub: TestHub;
  let partner: Awaited<ReturnType<typeof startPartner>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let failedId: string;
  let pendingId: string;
  let integrationId: string;
  let erpKey: string;
  const cspViolations: string[] = [];
  const urls: string[] = [];

  const console_ = (path = '') => `${hub.url}/console${path}`;
  const shoot = async (name: string) => {
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SHOTS, `${name}-1280.png`), fullPage: true });
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    hub = await startTestHub();
    let failing = false;
    partner = await startPartner((_r, res) => {
      res.statusCode = failing ? 500 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(failing ? '{"error":"warehouse closed","retryIn":"1h"}' : '{"received":true}');
    });
    Object.assign(partner, {
      succeed() {
        failing = false;
      },
      fail() {
        failing = true;
      },
    });
    const fail = () => {
      failing = true;
    };
    for (const code of ['erp', 'wms', 'shop']) {
      await hub.admin('POST', '/admin/partners', { code, name: `${code.toUpperCase()} Ltd` });
    }
    erpKey = (await hub.admin('POST', '/admin/partners/erp/keys', { label: 'erp production' })).json.key;
    const shopKey = (await hub.admin('POST', '/admin/partners/shop/keys', { label: 'shop' })).json.key;
    // One attempt: the first failure ends the delivery `failed`, so the console can retry it.
    await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('orders to wms', 'wms', partner.url, { maxAttempts: 1 }),
    );
    const ok = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('invoices to wms', 'wms', partner.url, { entity: 'invoice', maxAttempts: 1 }),
    );
    expect(ok.status).toBe(201);
    const managed = await hub.admin(
      'POST',
      '/admin/integrations',
      outboundIntegration('catalogue for shops', 'wms', `${partner.url}/catalogue`, {
        entity: 'catalogue',
        consentType: 'Operator',
        managed: true,
      }),
    );
    const post = (doctype: string, body: string) =>
      hub.partner('POST', `/v1/messages?sender=erp&receiver=wms&doctype=${doctype}&version=1`, erpKey, {
        headers: { 'content-type': 'application/json' },
        body,
      });
    // Traffic first: invoices the partner takes, then an order while it is down.
    const invoices: string[] = [];
    for (const n of [1, 2, 3]) {
      invoices.push((await post('invoice', `{"invoiceNo":"INV-${n}","total":${n * 100}}`)).json.id);
    }
    await eventually(async () => {
      for (const id of invoices) {
        if ((await hub.admin('GET', `/admin/messages/${id}`)).json.status !== 'delivered') return undefined;
      }
      return true;
    });
    fail();
    failedId = (await post('order', '{"orderNo":"SO-1001","lines":[{"sku":"A-1","qty":2}]}')).json.id;
    await eventually(async () => {
      const m = await hub.admin('GET', `/admin/messages/${failedId}`);
      return m.json.status === 'failed' ? true : undefined;
    });
    const enabled = await hub.partner('POST', '/v1/enablements', shopKey, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ integrationId: managed.json.id }),
    });
    expect(enabled.json.status).toBe('pending_consent');
    pendingId = enabled.json.id;

    // An ERP's sync packets (seed 003): one waiting for its upload, one whose upload is not a packet.
    await hub.admin('POST', '/admin/partners', { code: 'DMDEV01', name: 'Dynamics ERP' });
    const areaKey = (await hub.admin('POST', '/admin/partners/DMDEV01/keys', { scopes: ['erp'] })).json.key;
    const push = (uid: string, size: number) =>
      hub.partner(
        'GET',
        `/erp/push/DMDEV01/user1?packetUniqueId=${uid}&size=${size}&packetType=xml`,
        areaKey,
      );
    await push('waiting-1', 10);
    const bad = Buffer.from('this is not a sync packet');
    const badPush = await push('broken-1', bad.length);
    await fetch(badPush.json.uploadPath, { method: 'PUT', body: bad });
    await eventually(async () =>
      (await hub.partner('GET', `/erp/status/DMDEV01/${badPush.json.syncLogId}`, areaKey)).json.status ===
      'failed'
        ? true
        : undefined,
    );

    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: ZONE });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hub.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('request', (r) => {
      urls.push(r.url());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await partner?.stop();
    await hub?.stop();
  });

  it('asks for the admin key, says when it is wrong, and keeps it in the tab only', async () => {
    await page.goto(console_());
    await page.getByLabel('Admin key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('the admin key is wrong');
    await page.screenshot({ path: join(SHOTS, 'login-1280.png') });
    await page.getByLabel('Admin key').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('heading', { name: 'Recent operational events' }).waitFor();
    await page.getByText('delivery.exhausted').first().waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('crossdock.adminKey')")).toBe(ADMIN);
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    await shoot('overview');
  });

  it('lists the operational events by type', async () => {
    await page.getByRole('link', { name: 'Every event of the last 30 days, by type' }).click();
    await page.getByLabel('Type').selectOption('delivery.exhausted');
    await expect.poll(() => new URL(page.url()).searchParams.get('type')).toBe('delivery.exhausted');
    const list = page.getByRole('region', { name: 'Events' });
    await expect
      .poll(async () => {
        const text = (await list.textContent()) ?? '';
        return text.includes('HTTP 500') && !text.includes('enablement.pending');
      })
      .toBe(true);
    expect(await list.getAttribute('aria-busy')).toBe('false');
    await shoot('events');
  });

  it('finds the failed message by partner and time, and reads its timeline and the partner’s answer', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Messages' }).click();
    await page.getByLabel('Partner (sender or receiver)').fill('wms');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByLabel('Received from').fill(inZone(new Date(Date.now() - 10 * 60_000)));
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // The filters are the page's address: it can be bookmarked.
    await expect.poll(() => new URL(page.url()).searchParams.get('partner')).toBe('wms');
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    const link = page.getByRole('link', { name: `Message ${failedId}` });
    await link.waitFor();
    await shoot('messages');
    await link.click();
    await page.getByRole('heading', { name: `Message ${failedId}` }).waitFor();
    const timeline = page.getByRole('list', { name: 'Attempts of the delivery to orders to wms' });
    await expect.poll(() => timeline.textContent()).toContain('500');
    expect(await timeline.textContent()).toMatch(/Attempt 1.*\d+ ms/);
    const answer = page
      .getByRole('article', { name: 'Delivery to orders to wms' })
      .locator('figure.preview pre');
    // Pretty-printed JSON.
    expect(await answer.textContent()).toContain('"error": "warehouse closed"');
    // The document itself, pretty-printed, with a download.
    const documentCard = page.getByRole('region', { name: 'Document' });
    await expect.poll(() => documentCard.textContent()).toContain('"orderNo": "SO-1001"');
    expect(
      await documentCard.getByRole('link', { name: /Download the document/ }).getAttribute('download'),
    ).toBe(`${failedId}.json`);
    // Times in the operator's zone, UTC on hover.
    const time = page.locator('time').first();
    expect(await time.getAttribute('title')).toMatch(/UTC$/);
    await shoot('message');
  });

  it('retries it and shows it delivered once the partner answers again', async () => {
    (partner as unknown as { succeed(): void }).succeed();
    await page.getByRole('button', { name: 'Retry 1 failed' }).click();
    await page.getByText('Started again from attempt 1: orders to wms').waitFor();
    const card = page.getByRole('article', { name: 'Delivery to orders to wms' });
    await card.locator('.badge-delivered').waitFor({ timeout: 20_000 });
    expect(
      await page.getByRole('list', { name: 'Attempts of the delivery to orders to wms' }).textContent(),
    ).toContain('200');
    expect((await hub.admin('GET', `/admin/messages/${failedId}`)).json.status).toBe('delivered');
    await shoot('message-delivered');
  });

  it('replays the failed deliveries of a window: a dry run counts them, the job restarts them', async () => {
    const control = partner as unknown as { succeed(): void; fail(): void };
    control.fail();
    const id = (
      await hub.partner('POST', '/v1/messages?sender=erp&receiver=wms&doctype=order&version=1', erpKey, {
        headers: { 'content-type': 'application/json' },
        body: '{"orderNo":"SO-1002"}',
      })
    ).json.id as string;
    await eventually(async () =>
      (await hub.admin('GET', `/admin/messages/${id}`)).json.status === 'failed' ? true : undefined,
    );
    control.succeed();
    const since = new Date(Date.now() - 10 * 60_000).toISOString();
    await page.goto(console_(`/replay?since=${encodeURIComponent(since)}&receiver=wms`));
    await page.getByRole('heading', { name: 'Replay failed deliveries' }).waitFor();
    await page.getByRole('button', { name: 'Count (dry run)' }).click();
    await page.getByText('1 failed delivery matches.').waitFor();
    await shoot('replay');
    await page.getByRole('button', { name: 'Replay 1' }).click();
    await page.getByRole('heading', { name: /done 1 of 1 started again/ }).waitFor({ timeout: 20_000 });
    await shoot('replay-job');
    await eventually(async () =>
      (await hub.admin('GET', `/admin/messages/${id}`)).json.status === 'delivered' ? true : undefined,
    );
  });

  it('shows a broken integration rule before anything is sent, then creates it and shows its secret once', async () => {
    const posts: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() === 'POST' && r.url().endsWith('/admin/integrations')) posts.push(r.url());
    };
    page.on('request', onRequest);
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Integrations' })
      .click();
    await page.getByRole('link', { name: 'orders to wms' }).waitFor();
    await shoot('integrations');
    await page.getByRole('link', { name: 'New integration' }).click();
    await page.getByLabel('Name', { exact: true }).fill('returns to erp');
    await page.getByLabel('Entity (document type, * for any)').fill('return');
    await page.getByLabel('Receiver (partner code)').fill('erp');
    await page.getByLabel('URL (push and notify)').fill(partner.url);
    await page.getByRole('checkbox', { name: /Continuous/ }).check();
    const rule = page.getByText(
      'continuous may be set only on an active Outbound integration that has includeUpdate.',
    );
    await rule.waitFor();
    await shoot('integration-new');
    await page.getByRole('button', { name: 'Create integration' }).click();
    // Refused in the browser with the API's own rule: nothing was sent.
    expect(posts).toEqual([]);
    expect(await page.getByRole('checkbox', { name: /Continuous/ }).getAttribute('aria-invalid')).toBe(
      'true',
    );
    await page.getByLabel('Filter (JSONata; false: not sent)').fill('lines[');
    await page.getByRole('checkbox', { name: /Continuous/ }).uncheck();
    await page.getByText('filter is not a valid JSONata expression', { exact: false }).waitFor();
    await page.getByLabel('Filter (JSONata; false: not sent)').fill('$count(lines) > 0');
    await page.getByText('Every rule holds.').waitFor();
    await page.getByRole('button', { name: 'Create integration' }).click();
    await page.getByRole('heading', { name: 'returns to erp' }).waitFor();
    integrationId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    expect(posts).toHaveLength(1);
    const secret = page.getByRole('textbox', { name: 'Signing secret of the new integration' });
    expect(await secret.inputValue()).toMatch(/^whsec_/);
    page.off('request', onRequest);
  });

  it('edits the integration, sending only what changed', async () => {
    const patches: string[] = [];
    const onRequest = (r: { method(): string; postData(): string | null }) => {
      if (r.method() === 'PATCH') patches.push(r.postData() ?? '');
    };
    page.on('request', onRequest);
    await page.getByLabel('Attempts (1–20)').fill('25');
    // The API's own words for it (its 400 says the same).
    await page.getByText('maxAttempts: Invalid input.').waitFor();
    await page.getByLabel('Attempts (1–20)').fill('5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved: maxAttempts.').waitFor();
    expect(patches.map((p) => JSON.parse(p))).toEqual([{ maxAttempts: 5 }]);
    expect((await hub.admin('GET', `/admin/integrations/${integrationId}`)).json.maxAttempts).toBe(5);
    page.off('request', onRequest);
  });

  it('rotates the secret and shows the new one once, with a copy button', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const secret = page.getByRole('textbox', { name: 'New signing secret' });
    await secret.waitFor();
    const value = await secret.inputValue();
    expect(value).toMatch(/^whsec_/);
    await page
      .getByRole('region', { name: 'New signing secret' })
      .getByRole('button', { name: 'Copy' })
      .click();
    await page.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(value);
    await shoot('integration');
  });

  it('grants a pending consent, reached with the keyboard', async () => {
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Consent queue' })
      .focus();
    await page.keyboard.press('Enter');
    // A new page puts the focus on its title, where a keyboard or screen-reader user starts.
    await expect
      .poll(() =>
        page.evaluate<string | null>('document.activeElement && document.activeElement.textContent'),
      )
      .toBe('Consent queue');
    const pending = page.getByRole('listitem', { name: 'shop asks for catalogue for shops' });
    await pending.waitFor();
    await shoot('consent');
    await pending.getByLabel('Note (optional)').fill('checked the contract');
    await pending.getByRole('button', { name: 'Grant' }).click();
    await page.getByText('Granted: shop on catalogue for shops.').waitFor();
    await page.getByText('Nothing waits for consent').waitFor();
    const e = (await hub.admin('GET', '/admin/enablements?partner=shop')).json.enablements.find(
      (x: { id: string }) => x.id === pendingId,
    );
    expect(e.status).toBe('active');
  });

  it('issues a partner key shown once, and revokes it', async () => {
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Partners and keys' })
      .click();
    await page.getByRole('link', { name: 'wms' }).waitFor();
    await shoot('partners');
    await page.getByRole('link', { name: 'wms' }).click();
    await page.getByText('No key yet').waitFor();
    await page.getByLabel('Label (optional)').fill('wms robot');
    await page.getByRole('button', { name: 'Issue key' }).click();
    const key = page.getByRole('textbox', { name: 'New key for wms (wms robot)' });
    await key.waitFor();
    expect(await key.inputValue()).toMatch(/^cdk_/);
    await page.getByRole('button', { name: 'Revoke key wms robot' }).click();
    await page.getByRole('button', { name: 'Revoke now' }).click();
    await page.locator('.badge-revoked').waitFor();
    expect(await key.count()).toBe(0);
    await shoot('partner');
  });

  it("shows an area's sync packets, the failed one with its reason", async () => {
    await page.goto(console_('/packets'));
    await page.getByLabel('App area').fill('DMDEV01');
    await page.getByRole('button', { name: 'Show packets' }).click();
    const table = page.getByRole('table', { name: 'Sync packets of DMDEV01' });
    await table.waitFor();
    await expect.poll(async () => (await table.getByRole('row').count()) - 1).toBe(2);
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('failed');
    await expect.poll(async () => (await table.getByRole('row').count()) - 1).toBe(1);
    expect(await table.textContent()).toContain('broken-1');
    expect(await table.locator('td[data-label="Reason"]').first().textContent()).not.toBe('');
    await shoot('packets');
    // A 3PL CommunicationID the hub does not know: the page says so.
    await page.getByLabel('3PL CommunicationID').fill('00000000-0000-7000-8000-000000000000');
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('heading', { name: 'Communication 00000000-0000-7000-8000-000000000000' }).waitFor();
    await expect.poll(() => page.locator('main').textContent()).toMatch(/not (found|known)/i);
  });

  it('is readable at 390 px: every page, screenshots included', async () => {
    // The same tab: the admin key is kept per tab (sessionStorage).
    const narrow = page;
    await narrow.setViewportSize({ width: 390, height: 844 });
    const pages: [string, string, string][] = [
      ['overview', '', 'Recent operational events'],
      ['messages', '/messages?partner=wms', 'Messages'],
      ['message', `/messages/${failedId}`, 'Deliveries'],
      ['integrations', '/integrations', 'Integrations'],
      ['integration', `/integrations/${integrationId}`, 'Signing secret'],
      ['partners', '/partners', 'Partners'],
      ['partner', '/partners/wms', 'API keys'],
      ['consent', '/consent', 'Consent queue'],
      ['events', '/events', 'Operational events'],
      ['replay', '/replay', 'Replay failed deliveries'],
      ['packets', '/packets?appArea=DMDEV01', 'Sync packets'],
    ];
    for (const [name, path, heading] of pages) {
      await narrow.goto(console_(path));
      await narrow.getByRole('heading', { name: heading, exact: true }).waitFor();
      await narrow.waitForLoadState('networkidle');
      // Nothing wider than the screen.
      expect(await narrow.evaluate<number>('document.documentElement.scrollWidth'), name).toBeLessThanOrEqual(
        390,
      );
      await narrow.screenshot({ path: join(SHOTS, `${name}-390.png`), fullPage: true });
    }
    await narrow.setViewportSize({ width: 1280, height: 800 });
  });

  it('ran no inline script and put no secret in an address', () => {
    expect(cspViolations).toEqual([]);
    expect(urls.filter((u) => u.includes(ADMIN))).toEqual([]);
  });
});
