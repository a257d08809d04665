// The bench pages' server and browser, shared by run.mjs, profile.mjs and diagnose.mjs:
// Vite on 127.0.0.1 serving bench/pages with 'strata-storage' aliased to the sources, and
// cross-origin isolation so performance.now() has 5 µs resolution instead of 100 µs.
// The browser is Playwright's Chromium, or (`engine` 'firefox' / 'webkit') the tests' driver
// layer (tests/e2e/driver.ts, compiled here with esbuild) behind the few Playwright calls
// the bench makes. The peer libraries are installed in bench/node_modules on first use (deps.mjs).
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../scripts/browsers.mjs';
import { ensureBenchDeps } from './deps.mjs';

/** A path from the repository root. */
export const root = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** Starts the bench page server on `port` and the engine, launched as the tests launch it. */
export async function startBench(port, engine = 'chromium') {
  ensureBenchDeps();
  const server = await createServer({
    configFile: false,
    root: root('bench/pages'),
    cacheDir: root('node_modules/.vite-bench'),
    logLevel: 'warn',
    resolve: {
      alias: [
        { find: 'strata-storage/oauth', replacement: root('src/oauth/index.ts') },
        { find: 'strata-storage', replacement: root('src/index.ts') },
      ],
    },
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
        'idb',
        'oauth4webapi',
      ],
    },
  });
  await server.listen();
  const browser =
    engine === 'chromium'
      ? await chromium.launch(chromiumLaunchOptions())
      : await launchWithDriver(engine, `http://127.0.0.1:${port}/`);
  return { server, browser };
}

/** Firefox or WebKit through tests/e2e/driver.ts, shaped like the Playwright browser run.mjs uses. */
async function launchWithDriver(engine, baseURL) {
  const outfile = root('node_modules/.cache/strata-bench/driver.mjs');
  await build({
    entryPoints: [root('tests/e2e/driver.ts')],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'warning',
  });
  const { launch } = await import(pathToFileURL(outfile).href);
  const driver = await launch(engine);
  const contexts = [];
  return {
    version: () => driver.version,
    async newContext() {
      const tabs = await driver.newContext(baseURL);
      contexts.push(tabs);
      return {
        async newPage() {
          const tab = await tabs.newTab();
          return {
            goto: (url) => tab.goto(url),
            evaluate: (fn, arg) => tab.evaluate(fn, arg),
            async waitForFunction(fn, _arg, { timeout = 30_000 } = {}) {
              const end = Date.now() + timeout;
              while (!(await tab.evaluate(fn).catch(() => false))) {
                if (Date.now() > end) throw new Error(`waitForFunction: ${timeout} ms passed`);
                await new Promise((resolve) => setTimeout(resolve, 100));
              }
            },
            // Page errors: the driver records them; run.mjs's read-back checks catch their effects.
            on() {},
            close: () => tab.close(),
          };
        },
      };
    },
    async close() {
      for (const tabs of contexts) await tabs.close().catch(() => undefined);
      await driver.close();
    },
  };
}
