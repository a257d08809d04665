import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './scripts/browsers.mjs';

// Ports are configurable so several runs can share a machine:
//   STRATA_E2E_PORT       harness page server (vite), default 5183
//   STRATA_E2E_AUTH_PORT  reference auth server (server/cli.mjs, test controls on), default 5184;
//                         the harness proxies /api to it (tests/e2e/harness/vite.config.ts)
const HARNESS_PORT = Number(process.env.STRATA_E2E_PORT ?? 5183);
const AUTH_PORT = Number(process.env.STRATA_E2E_AUTH_PORT ?? 5184);
//   STRATA_E2E_CONSUMER_PORT  a consumer app of the built package (tests/e2e/consumer), default 5187
const CONSUMER_PORT = Number(process.env.STRATA_E2E_CONSUMER_PORT ?? 5187);
//   STRATA_E2E_DEMO_PORT / STRATA_E2E_DEMO_AUTH_PORT  the demo (npm start) and its provider with
//   the app API (server/oidc-demo.mjs), 5185 / 5186
const DEMO_PORT = Number(process.env.STRATA_E2E_DEMO_PORT ?? 5185);
const DEMO_AUTH_PORT = Number(process.env.STRATA_E2E_DEMO_AUTH_PORT ?? 5186);

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  // oidc-provider and its resource server for the OAuth specs (tests/e2e/oauth-*.spec.ts).
  globalSetup: './tests/e2e/harness/oauth-provider.global.ts',
  use: {
    baseURL: `http://127.0.0.1:${HARNESS_PORT}`,
  },
  // One project per engine. The multi-tab specs are written once over tests/e2e/driver.ts
  // (the `tabs` fixture of tests/e2e/tabs.ts): Playwright drives Chromium, puppeteer-core
  // Firefox, webdriverio WebKitGTK (the fixture starts Xvfb and WebKitWebDriver per worker).
  // A test a driver cannot run says so in its title ("Chromium only: …", "not in WebKit: …") and is left out of
  // the other engines' projects (never skipped). The demo with its screenshots is Chromium
  // only; the package checks that need no browser run once, in `node`.
  projects: [
    {
      name: 'chromium',
      testIgnore: ['package-files.spec.ts'],
      use: { browserName: 'chromium', launchOptions: chromiumLaunchOptions() },
    },
    {
      name: 'firefox',
      testIgnore: ['demo.spec.ts', 'package-files.spec.ts'],
      grepInvert: /Chromium only/,
    },
    {
      name: 'webkit',
      testIgnore: ['demo.spec.ts', 'package-files.spec.ts'],
      grepInvert: /Chromium only|not in WebKit/,
    },
    { name: 'node', testMatch: ['package-files.spec.ts'] },
  ],
  webServer: [
    {
      command: `npx vite --config tests/e2e/harness/vite.config.ts --port ${HARNESS_PORT}`,
      url: `http://127.0.0.1:${HARNESS_PORT}/`,
      reuseExistingServer: false,
      stdout: 'ignore',
    },
    {
      // The harness pages call it through their /api proxy, which keeps the page's Origin.
      command: `node server/cli.mjs --port ${AUTH_PORT} --test-controls --allow-origin http://127.0.0.1:${HARNESS_PORT}`,
      url: `http://127.0.0.1:${AUTH_PORT}/api/test/stats`,
      reuseExistingServer: false,
      stdout: 'ignore',
    },
    {
      // Builds the package, then serves an app that imports it through its exports map.
      command: `npm run build && npx vite --config tests/e2e/consumer/vite.config.ts --port ${CONSUMER_PORT}`,
      url: `http://127.0.0.1:${CONSUMER_PORT}/`,
      reuseExistingServer: false,
      stdout: 'ignore',
      timeout: 120_000,
    },
    {
      // The demo exactly as `npm start` runs it, with 10-second access tokens so refreshes show,
      // and an introspection client the spec asks whether a refresh token is still good.
      command: 'node scripts/start.mjs',
      env: {
        DEMO_PORT: String(DEMO_PORT),
        DEMO_AUTH_PORT: String(DEMO_AUTH_PORT),
        DEMO_ACCESS_TTL: '10',
        DEMO_INTROSPECTION_SECRET:
          process.env.STRATA_E2E_DEMO_INTROSPECTION_SECRET ?? 'e2e-demo-introspection',
      },
      url: `http://127.0.0.1:${DEMO_PORT}/`,
      reuseExistingServer: false,
      stdout: 'ignore',
    },
  ],
});
