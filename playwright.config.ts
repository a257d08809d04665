import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './scripts/chromium.mjs';

// Ports are configurable so several runs can share a machine.
const HARNESS_PORT = Number(process.env.STRATA_E2E_PORT ?? 5183);

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
  ],
});
