// The bench pages' server and browser, shared by run.mjs, profile.mjs and diagnose.mjs:
// Vite on 127.0.0.1 serving bench/pages with 'strata-storage' aliased to the sources, and
// cross-origin isolation so performance.now() has 5 µs resolution instead of 100 µs.
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../scripts/chromium.mjs';

/** A path from the repository root. */
export const root = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** Starts the bench page server on `port` and a Chromium launched as the tests launch it. */
export async function startBench(port) {
  const server = await createServer({
    configFile: false,
    root: root('bench/pages'),
    cacheDir: root('node_modules/.vite-bench'),
    logLevel: 'warn',
    resolve: { alias: { 'strata-storage': root('src/index.ts') } },
    server: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      hmr: false,
      headers: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
    },
    optimizeDeps: {
      include: [
        'broadcast-channel',
        'idb-keyval',
        'localforage',
        'secure-ls',
        'strata-storage-published',
      ],
    },
  });
  await server.listen();
  const browser = await chromium.launch(chromiumLaunchOptions());
  return { server, browser };
}
