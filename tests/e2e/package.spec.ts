import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { uniqueNamespace } from './tabs.js';

// The package judged from outside: `npm run build`, then a consumer app that imports
// 'strata-storage', 'strata-storage/react' and 'strata-storage/broadcast-channel' through
// the exports map (tests/e2e/consumer).
const CONSUMER = `http://127.0.0.1:${process.env.STRATA_E2E_CONSUMER_PORT ?? 5187}/`;

async function openConsumer(page: Page): Promise<void> {
  page.on('pageerror', (error) => {
    throw new Error(`uncaught error in the consumer page: ${error.message}`);
  });
  await page.goto(CONSUMER);
  await expect(page.locator('#status')).toHaveText('ready');
}

test('every entry loads through the exports map and exposes the public names', async ({ page }) => {
  await openConsumer(page);
  const names = await page.evaluate(() => ({
    core: Object.keys(window.core).sort(),
    react: Object.keys(window.react).sort(),
    fallback: Object.keys(window.fallback),
  }));
  expect(names.fallback).toEqual(['broadcastChannelFallback']);
  expect(names.core).toEqual(
    expect.arrayContaining([
      'Strata',
      'StrataError',
      'TokenManager',
      'AuthSession',
      'withLock',
      'isStrataError',
    ]),
  );
  expect(names.react).toEqual(
    expect.arrayContaining(['SessionProvider', 'useSession', 'useStrataValue']),
  );
});

test('the built core syncs an encrypted IndexedDB value between two tabs', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openConsumer(a);
  await openConsumer(b);
  const namespace = uniqueNamespace('consumer');
  const start = (page: Page) =>
    page.evaluate(async (namespace) => {
      const strata = new window.core.Strata({
        namespace,
        defaultStorage: 'indexedDB',
        encryption: { enabled: true },
        sync: { enabled: true },
      });
      await strata.ready();
      window.t.changes = [];
      strata.subscribe('', (change) => (window.t.changes as unknown[]).push(change));
      window.t.strata = strata;
      return strata.storage;
    }, namespace);
  expect(await start(a)).toBe('indexedDB');
  await start(b);
  await a.evaluate(() =>
    (window.t.strata as InstanceType<typeof window.core.Strata>).set('profile', {
      name: 'Ada',
      plan: 'pro',
    }),
  );
  await expect
    .poll(() =>
      b.evaluate(() =>
        (window.t.changes as Array<{ key: string; source: string }>).map(
          (c) => `${c.source}:${c.key}`,
        ),
      ),
    )
    .toEqual(['remote:profile']);
  expect(
    await b.evaluate(() =>
      (window.t.strata as InstanceType<typeof window.core.Strata>).get('profile'),
    ),
  ).toEqual({ name: 'Ada', plan: 'pro' });
});

test('the built React entry renders useSession through SessionProvider', async ({ page }) => {
  await openConsumer(page);
  const status = await page.evaluate(async (namespace) => {
    const { core, react, dom } = window;
    const storage = new core.Strata({ namespace, defaultStorage: 'localStorage' });
    const auth = new core.AuthSession({ storage });
    function Status() {
      const session = react.useSession();
      return dom.createElement('output', { id: 'session-status' }, session.status);
    }
    dom
      .createRoot(document.getElementById('root')!)
      .render(dom.createElement(react.SessionProvider, { auth }, dom.createElement(Status)));
    return 'rendered';
  }, uniqueNamespace('react'));
  expect(status).toBe('rendered');
  await expect(page.locator('#session-status')).toHaveText('unauthenticated');
});

test('the core entry pulls in neither React nor zustand; only the opt-in entry imports broadcast-channel', () => {
  const core = readFileSync('dist/index.js', 'utf8');
  expect(core).not.toMatch(/from\s*["'](react|zustand)/);
  const importers = readdirSync('dist').filter(
    (file) =>
      file.endsWith('.js') &&
      /["']broadcast-channel["']/.test(readFileSync(`dist/${file}`, 'utf8')),
  );
  expect(importers).toEqual(['broadcast-channel.js']);
  const react = readFileSync('dist/react.js', 'utf8');
  expect(react).toMatch(/from\s*["']react["']/);
});

test('the published declarations type a consumer through the exports map', () => {
  // Throws (and fails the test with tsc's diagnostics) when the types do not resolve.
  const output = execFileSync('npx', ['tsc', '-p', 'tests/e2e/consumer/tsconfig.json'], {
    encoding: 'utf8',
  });
  expect(output).toBe('');
});
