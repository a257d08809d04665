import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildFreshApp, installFreshApp, packFromCleanTree, serveBuilt } from './fresh-app.js';
import { expect, expectText, test, uniqueNamespace, type Tab, type Tabs } from './tabs.js';

// The package judged from outside: `npm run build`, then a consumer app that imports
// 'strata-storage', 'strata-storage/react' and 'strata-storage/broadcast-channel' through
// the exports map (tests/e2e/consumer). The checks of dist/ and of the declarations need no
// browser: package-files.spec.ts. The last test packs the tree and installs the tarball
// into a fresh Vite + React + TypeScript app (fresh-app.ts).
const CONSUMER = `http://127.0.0.1:${process.env.STRATA_E2E_CONSUMER_PORT ?? 5187}/`;

/** A new tab on the consumer app, once it loaded (uncaught page errors fail the test: tabs.ts). */
async function openConsumer(tabs: Tabs): Promise<Tab> {
  const page = await tabs.newTab();
  await page.goto(CONSUMER);
  await expectText(page, '#status', 'ready');
  return page;
}

test('every entry loads through the exports map and exposes the public names', async ({ tabs }) => {
  const page = await openConsumer(tabs);
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

test('the built core syncs an encrypted IndexedDB value between two tabs', async ({ tabs }) => {
  const a = await openConsumer(tabs);
  const b = await openConsumer(tabs);
  const namespace = uniqueNamespace('consumer');
  const start = (page: Tab) =>
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

test('the built React entry renders useSession through SessionProvider', async ({ tabs }) => {
  const page = await openConsumer(tabs);
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
  await expectText(page, '#session-status', 'unauthenticated');
});

test('Chromium only: npm pack of a tree without dist/ installs into a fresh Vite + React + TypeScript app that builds and runs the quick start', async ({
  tabs,
}) => {
  test.setTimeout(600_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'strata-pack-'));
  try {
    const { tarball, files } = packFromCleanTree(dir);
    // prepack built dist/: every file the exports map names is in the tarball.
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/react.js',
        'dist/react/index.d.ts',
        'dist/oauth.js',
        'dist/oauth/index.d.ts',
        'dist/broadcast-channel.js',
        'dist/broadcast-channel.d.ts',
      ]),
    );
    expect(
      files.filter(
        (file) => !/^(dist\/|package\.json$|README\.md$|SECURITY\.md$|LICENSE)/.test(file),
      ),
    ).toEqual([]);
    const app = installFreshApp(dir, tarball);
    const { tsc } = buildFreshApp(app);
    expect(tsc).toBe('');
    const { url, server } = await serveBuilt(app);
    try {
      const page = await tabs.newTab();
      await page.goto(url);
      await expectText(page, '#status', 'ready');
      await expectText(page, '#session', 'unauthenticated');
      const result = JSON.parse(
        await page.evaluate(() => document.getElementById('result')!.textContent!),
      );
      expect(result).toEqual({
        storage: 'indexedDB',
        cart: [{ id: 'sku-1', qty: 2 }],
        keys: ['session:cart'],
        info: { encrypted: true, sliding: true, layer: 'indexedDB' },
        afterClear: null,
        changes: ['local:session:cart:set', 'local:session:cart:removed'],
        errors: [],
      });
    } finally {
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
