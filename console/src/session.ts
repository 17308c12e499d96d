/**
 * The admin key lives in sessionStorage only: typed once per browser session, gone when the tab
 * closes, never in a URL, a cookie or the page's markup.
 */
const KEY = 'crossdock.adminKey';

export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
