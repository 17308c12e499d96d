import { useEffect, useState } from 'preact/hooks';

/** Path routing under /console: every page is an address a person can bookmark and share. */
export const BASE = '/console';

export interface Location {
  /** The path under /console, starting with `/` (`/messages/msg_1`). */
  path: string;
  query: URLSearchParams;
}

const current = (): Location => {
  const { pathname, search } = window.location;
  const under = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  return { path: under === '' ? '/' : under.replace(/\/+$/, '') || '/', query: new URLSearchParams(search) };
};

const listeners = new Set<() => void>();

/** Goes to a page of the console (`/messages?status=failed`). */
export function navigate(to: string, { replace = false } = {}): void {
  const url = `${BASE}${to === '/' ? '/' : to}`;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  for (const l of listeners) l();
  if (!replace) window.scrollTo(0, 0);
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return location;
}

/** `/messages` with these query parameters, empty ones left out. */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** A link inside the console: a real href (open in a new tab works), followed without a reload. */
export function onLinkClick(event: MouseEvent, to: string): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(to);
}
