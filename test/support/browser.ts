import { existsSync } from 'node:fs';

/** Debian's Chromium and the usual other names. */
const USUAL = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The Chromium the browser tests drive: CHROMIUM_PATH when set (and only it), else the first usual one there. */
export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given) return existsSync(given) ? given : undefined;
  return USUAL.find((p) => existsSync(p));
}

export const NO_CHROMIUM =
  'Console browser tests skipped: no Chromium found. Install one (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH.';
