import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Serves the harness page. STRATA_DIST=1 runs the same tests against the built package.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const dist = process.env.STRATA_DIST === '1';
const entry = dist ? `${root}dist/index.js` : `${root}src/index.ts`;
const fallbackEntry = dist ? `${root}dist/broadcast-channel.js` : `${root}src/broadcast-channel.ts`;
const oauthEntry = dist ? `${root}dist/oauth.js` : `${root}src/oauth/index.ts`;
// The reference auth server (started by playwright.config.ts on STRATA_E2E_AUTH_PORT): pages call /api same-origin.
const authServer = `http://127.0.0.1:${process.env.STRATA_E2E_AUTH_PORT ?? 5184}`;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      { find: 'strata-storage/broadcast-channel', replacement: fallbackEntry },
      { find: 'strata-storage/oauth', replacement: oauthEntry },
      { find: 'strata-storage', replacement: entry },
    ],
  },
  // Its own dependency cache per port: the demo's, the consumer's and other runs' Vite servers
  // share node_modules/.vite otherwise and re-bundle it under each other's pages.
  cacheDir: `${root}node_modules/.vite-e2e-${process.env.STRATA_E2E_PORT ?? 5183}`,
  // Bundled before the first page loads (a dependency found late is re-bundled while pages load).
  optimizeDeps: { include: ['broadcast-channel', 'oauth4webapi'] },
  // No HMR and no file watching: a source edit must never reload a page mid-test.
  server: {
    host: '127.0.0.1',
    strictPort: true,
    hmr: false,
    watch: null,
    fs: { allow: [root] },
    proxy: { '/api': authServer },
  },
  logLevel: 'warn',
  clearScreen: false,
});
