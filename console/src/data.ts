import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Loaded<T> =
  | { state: 'loading'; data?: undefined; error?: undefined }
  | {
      state: 'ready';
      data: T;
      error?: undefined;
      refreshing: boolean /** The key it was loaded for. */;
      key: string;
    }
  | { state: 'failed'; data?: T; error: unknown };

/**
 * Loads what a page shows, again whenever `key` changes or `reload()` is called. What was shown stays
 * on screen while the next answer is on its way, so the page does not jump; an answer that arrives
 * after a newer request started is dropped. With `everyMs`, it reloads on that interval.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  key: string,
  everyMs?: number,
  /** On a new key, keep showing the last answer (marked refreshing) until the new one arrives. */
  keepWhileLoading = false,
): Loaded<T> & { reload: () => void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const generation = useRef(0);
  const latest = useRef(load);
  latest.current = load;
  const currentKey = useRef(key);
  currentKey.current = key;
  const run = useCallback(() => {
    const mine = ++generation.current;
    const forKey = currentKey.current;
    setLoaded((prev) => (prev.state === 'ready' ? { ...prev, refreshing: true } : prev));
    latest.current().then(
      (data) => {
        if (mine === generation.current) setLoaded({ state: 'ready', data, refreshing: false, key: forKey });
      },
      (error: unknown) => {
        if (mine === generation.current)
          setLoaded((prev) => ({
            state: 'failed',
            error,
            ...(prev.data === undefined ? {} : { data: prev.data }),
          }));
      },
    );
  }, []);
  useEffect(() => {
    if (!keepWhileLoading) setLoaded({ state: 'loading' });
    run();
  }, [key, run, keepWhileLoading]);
  useEffect(() => {
    if (!everyMs) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') run();
    }, everyMs);
    return () => clearInterval(timer);
  }, [everyMs, run]);
  return { ...loaded, reload: run };
}
