import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The operator console: a single-page app served by the hub itself under /console (functions/http/
 * system.ts). It shares the typed client (client/) and the integration rules (functions/core/) with
 * the API; `node:http` is replaced by the one function of it those rules use.
 */
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  logLevel: 'warn',
  publicDir: false,
  resolve: {
    alias: { 'node:http': here('src/shims/node-http.ts') },
  },
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  // `npm run console:dev`: the app with hot reload, its API calls passed to a running hub.
  server: {
    proxy: Object.fromEntries(
      ['/admin', '/health', '/openapi.json'].map((path) => [
        path,
        { target: process.env.CROSSDOCK_URL ?? 'http://127.0.0.1:3000', changeOrigin: true },
      ]),
    ),
  },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Everything is served by the hub; nothing inlined, so the content security policy needs no
    // 'unsafe-inline' for scripts, and no source maps are published.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
