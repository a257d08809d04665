import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './scripts/chromium.mjs';

// Ports are configurable so several runs can share a machine:
//   STRATA_E2E_PORT       harness page server (vite), default 5183
//   STRATA_E2E_AUTH_PORT  reference auth server (server/cli.mjs, test controls on), default 5184;
//                         the harness proxies /api to it (tests/e2e/harness/vite.config.ts)
const HARNESS_PORT = Number(process.env.STRATA_E2E_PORT ?? 5183);
const AUTH_PORT = Number(process.env.STRATA_E2E_AUTH_PORT ?? 5184);

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/playwright.json' }]],
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions(),
    baseURL: `http://127.0.0.1:${HARNESS_PORT}`,
  },
  webServer: [
    {
      command: `npx vite --config tests/e2e/harness/vite.config.ts --port ${HARNESS_PORT}`,
      url: `http://127.0.0.1:${HARNESS_PORT}/`,
      reuseExistingServer: false,
      stdout: 'ignore',
    },
    {
      command: `node server/cli.mjs --port ${AUTH_PORT} --test-controls`,
      url: `http://127.0.0.1:${AUTH_PORT}/api/test/stats`,
      reuseExistingServer: false,
      stdout: 'ignore',
    },
  ],
});
