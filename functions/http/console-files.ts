import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HubResponse } from './middleware.js';

/**
 * The operator console's built files (console/, `npm run console:build`). A deployed function has
 * them beside its bundle (`console/`, copied there at bundling: lib/constructs/hub-function.ts); the
 * local hub reads the repository's console/dist/. They are read once and kept in memory.
 */
const PLACES = [new URL('./console/', import.meta.url), new URL('../../console/dist/', import.meta.url)];

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * Scripts and styles from this origin only (no inline script, no eval), the API on this origin, no
 * framing, no plugins, forms and base URLs kept here.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

interface Files {
  index: string;
  assets: ReadonlyMap<string, { body: Buffer; type: string }>;
}

let files: Files | undefined;

function load(): Files | undefined {
  for (const place of PLACES) {
    const dir = fileURLToPath(place);
    if (!existsSync(`${dir}index.html`)) continue;
    const assets = new Map<string, { body: Buffer; type: string }>();
    const assetDir = `${dir}assets/`;
    if (existsSync(assetDir)) {
      for (const name of readdirSync(assetDir)) {
        assets.set(name, {
          body: readFileSync(`${assetDir}${name}`),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
        });
      }
    }
    return { index: readFileSync(`${dir}index.html`, 'utf8'), assets };
  }
  return undefined;
}

/**
 * The answer for a path under /console/: a file under assets/ (its name carries a hash, so it is
 * cached for good), 404 for another name there, and the console's page for any other path (its
 * pages are addresses the app routes itself).
 */
export function consoleFile(path: string): HubResponse {
  files ??= load();
  if (!files) {
    return {
      status: 503,
      json: {
        error: {
          code: 'console_not_built',
          message: 'The console is not built: run `npm run console:build` (npm start does it), then reload.',
        },
      },
      headers: { 'cache-control': 'no-store' },
    };
  }
  if (path.startsWith('assets/')) {
    const file = files.assets.get(path.slice('assets/'.length));
    if (!file) {
      return {
        status: 404,
        json: { error: { code: 'not_found', message: 'No such file of the console: reload the page.' } },
        headers: { ...SECURITY_HEADERS, 'cache-control': 'no-store' },
      };
    }
    return {
      status: 200,
      raw: { body: file.body, contentType: file.type },
      headers: { ...SECURITY_HEADERS, 'cache-control': 'public, max-age=31536000, immutable' },
    };
  }
  return {
    status: 200,
    raw: { body: files.index, contentType: TYPES['.html'] as string },
    headers: { ...SECURITY_HEADERS, 'cache-control': 'no-cache' },
  };
}
