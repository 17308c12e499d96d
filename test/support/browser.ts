import { existsSync } from 'node:fs';

/** Where a Chromium may be: CHROMIUM_PATH, then Debian's and the usual names. */
const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

export function findChromium(): string | undefined {
  return CANDIDATES.find((p): p is string => Boolean(p) && existsSync(p as string));
}

export const NO_CHROMIUM =
  'Console browser tests skipped: no Chromium found. Install one (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH.';
