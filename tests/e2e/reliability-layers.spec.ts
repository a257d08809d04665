import type { StorageKind } from 'strata-storage';
import { expect, openHarness, test, uniqueNamespace, type Tab, type Tabs } from './tabs.js';

// Issue 17, items 2 and 3, across real pages: where data goes (`storage`, `status().layers`)
// when another page upgrades the IndexedDB database or fills localStorage, in the page that
// was open and in a new tab; each page's Strata is `t.strata`, its reported errors `t.errors`.

type Strata = InstanceType<typeof window.S.Strata>;

/** Starts a Strata on `namespace` in the page, recording what it reports. */
async function start(
  page: Tab,
  namespace: string,
  chain: { defaultStorage: StorageKind; fallbackStorage: StorageKind },
): Promise<void> {
  await page.evaluate(
    async ({ namespace, chain }) => {
      const errors: string[] = [];
      const fallbacks: string[] = [];
      const s = new window.S.Strata({
        namespace,
        ...chain,
        onError: (e) => errors.push(`${e.code}: ${e.message}`),
      });
      s.on('fallback', ({ from, to }) => fallbacks.push(`${from}->${to}`));
      await s.ready();
      Object.assign(window.t, { strata: s, errors, fallbacks });
    },
    { namespace, chain },
  );
}

/** What the page's Strata says about itself, and the values of `keys`. */
const look = (page: Tab, keys: string[]) =>
  page.evaluate(async (keys) => {
    const s = window.t.strata as Strata;
    const values: Record<string, unknown> = {};
    for (const key of keys) values[key] = await s.get(key);
    return { storage: s.storage, layers: s.status().layers, values };
  }, keys);

/** Sets `key` in the page's Strata. */
const put = (page: Tab, key: string, value: unknown) =>
  page.evaluate(({ key, value }) => (window.t.strata as Strata).set(key, value), { key, value });

const INDEXED_DB_FIRST = { defaultStorage: 'indexedDB', fallbackStorage: 'localStorage' } as const;

/** A page of this release on IndexedDB (localStorage next) that wrote `before`. */
async function olderPage(tabs: Tabs, namespace: string): Promise<Tab> {
  const page = await openHarness(tabs);
  await start(page, namespace, INDEXED_DB_FIRST);
  await put(page, 'before', 1);
  return page;
}

const errors = (page: Tab) => page.evaluate(() => window.t.errors as string[]);

/**
 * A newer release in `page` opens the namespace's database at `version` and keeps it open.
 * `'compatible'` adds a store and writes a record in this release's format under `theirs`;
 * `'incompatible'` drops the tag index this release queries.
 */
async function upgradeDatabase(
  page: Tab,
  namespace: string,
  version: number,
  change: 'compatible' | 'incompatible',
): Promise<number> {
  return page.evaluate(
    ({ name, version, change }) =>
      new Promise<number>((resolve, reject) => {
        const request = indexedDB.open(name, version);
        request.onupgradeneeded = () => {
          const records = (request.transaction as IDBTransaction).objectStore('records');
          if (change === 'incompatible') return records.deleteIndex('tags');
          request.result.createObjectStore('extra');
          records.put({ v: 2, p: '"from the newer release"', u: Date.now(), w: 'newer' }, 'theirs');
        };
        request.onsuccess = () => {
          window.t.newer = request.result;
          resolve(request.result.version);
        };
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error('blocked by an older connection'));
      }),
    { name: `strata:${encodeURIComponent(namespace)}`, version, change },
  );
}

test('another page upgrades IndexedDB to a newer compatible schema: the open page and a new tab keep IndexedDB and its records, both ways, and say so', async ({
  tabs,
}) => {
  const namespace = uniqueNamespace('schema-ok');
  const older = await olderPage(tabs, namespace);

  // The newer release adds a store and writes a record in this release's format.
  const newer = await openHarness(tabs);
  expect(await upgradeDatabase(newer, namespace, 2, 'compatible')).toBe(2);

  await put(older, 'after', 2);
  const healthy = [
    { kind: 'indexedDB', healthy: true, holdsData: true },
    { kind: 'localStorage', healthy: true, holdsData: false },
    { kind: 'memory', healthy: true, holdsData: false },
  ];
  expect(await look(older, ['before', 'theirs', 'after'])).toEqual({
    storage: 'indexedDB',
    layers: healthy,
    values: { before: 1, theirs: 'from the newer release', after: 2 },
  });
  // The other way: the newer release reads what this one wrote after its upgrade.
  expect(
    await newer.evaluate(
      () =>
        new Promise<unknown>((resolve, reject) => {
          const db = window.t.newer as IDBDatabase;
          const request = db.transaction('records').objectStore('records').get('after');
          request.onsuccess = () => resolve((request.result as { p: string }).p);
          request.onerror = () => reject(request.error);
        }),
    ),
  ).toBe('2');

  const fresh = await openHarness(tabs);
  await start(fresh, namespace, INDEXED_DB_FIRST);
  expect(await look(fresh, ['before', 'theirs', 'after'])).toEqual({
    storage: 'indexedDB',
    layers: healthy,
    values: { before: 1, theirs: 'from the newer release', after: 2 },
  });
  expect([...(await errors(older)), ...(await errors(fresh))]).toEqual([]);
});

test('another page upgrades IndexedDB to a schema this release cannot use: STORAGE_UNAVAILABLE naming the version, and storage names the layer that takes the writes, in the open page and a new tab', async ({
  tabs,
}) => {
  const namespace = uniqueNamespace('schema-bad');
  const older = await olderPage(tabs, namespace);

  // The newer release drops the tag index this release queries.
  const newer = await openHarness(tabs);
  expect(await upgradeDatabase(newer, namespace, 3, 'incompatible')).toBe(3);

  const version = /IndexedDB "strata:[^"]+" is at version 3, newer than this release \(1\)/;
  await put(older, 'after', 2);
  const seen = await look(older, ['after']);
  expect(seen.storage).toBe('localStorage');
  expect(seen.values).toEqual({ after: 2 });
  expect(seen.layers[0]).toEqual({
    kind: 'indexedDB',
    healthy: false,
    problem: 'STORAGE_UNAVAILABLE',
    holdsData: true,
  });
  expect(await older.evaluate(() => window.t.fallbacks)).toEqual(['indexedDB->localStorage']);
  expect(
    (await errors(older)).some((e) => e.startsWith('STORAGE_UNAVAILABLE') && version.test(e)),
  ).toBe(true);

  // A new tab of this release: IndexedDB is left out from the start, and said why.
  const fresh = await openHarness(tabs);
  await start(fresh, namespace, INDEXED_DB_FIRST);
  expect(await look(fresh, ['after'])).toEqual({
    storage: 'localStorage',
    layers: [
      { kind: 'localStorage', healthy: true, holdsData: true },
      { kind: 'memory', healthy: true, holdsData: false },
    ],
    values: { after: 2 },
  });
  expect(
    (await errors(fresh)).filter((e) => e.startsWith('STORAGE_UNAVAILABLE') && version.test(e)),
  ).toHaveLength(1);
});

test('another page fills localStorage: the open page and a new tab write to the next layer, and storage and status say so until space is back', async ({
  tabs,
}) => {
  const namespace = uniqueNamespace('ls-full');
  const chain = { defaultStorage: 'localStorage', fallbackStorage: 'indexedDB' } as const;
  const page = await openHarness(tabs);
  await start(page, namespace, chain);
  await put(page, 'before', 1);

  // Another page of the origin takes every byte of localStorage's quota.
  const filler = await openHarness(tabs);
  const junk = await filler.evaluate(() => {
    let count = 0;
    for (let size = 1 << 20; size >= 1;) {
      try {
        localStorage.setItem(`junk:${count}`, 'x'.repeat(size));
        count++;
      } catch {
        size = Math.floor(size / 2);
      }
    }
    return count;
  });
  const junkSeen = () =>
    page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('junk:')).length);
  await expect.poll(junkSeen).toBe(junk);

  // Larger than the write budget Firefox hands each page ahead of its quota check.
  const big = 'x'.repeat(100_000);
  await put(page, 'during', big);
  const during = await look(page, ['before', 'during']);
  expect(during.storage).toBe('indexedDB');
  expect(during.values).toEqual({ before: 1, during: big });
  expect(during.layers[0]).toEqual({
    kind: 'localStorage',
    healthy: false,
    problem: 'QUOTA_EXCEEDED',
    holdsData: true,
  });
  expect(
    await page.evaluate(async () => (await (window.t.strata as Strata).info('during'))?.layer),
  ).toBe('indexedDB');
  expect(await page.evaluate(() => window.t.fallbacks)).toEqual(['localStorage->indexedDB']);

  // A new tab: its write lands in IndexedDB too, and it does not claim localStorage.
  const fresh = await openHarness(tabs);
  await start(fresh, namespace, chain);
  await put(fresh, 'fresh', big);
  const inFresh = await look(fresh, ['before', 'during', 'fresh']);
  expect(inFresh.values).toEqual({ before: 1, during: big, fresh: big });
  expect(inFresh.storage).toBe('indexedDB');
  expect(
    await fresh.evaluate(async () => (await (window.t.strata as Strata).info('fresh'))?.layer),
  ).toBe('indexedDB');
  // Full is not broken (what it holds stays readable): listed, unhealthy since the write.
  expect(inFresh.layers[0]).toEqual({
    kind: 'localStorage',
    healthy: false,
    problem: 'QUOTA_EXCEEDED',
    holdsData: true,
  });

  // Space is back: the next write lands in localStorage again, and storage says so.
  await filler.evaluate(() => {
    for (const key of Object.keys(localStorage))
      if (key.startsWith('junk:')) localStorage.removeItem(key);
  });
  await expect.poll(junkSeen).toBe(0);
  await put(page, 'later', 4);
  const after = await look(page, ['later']);
  expect(after.storage).toBe('localStorage');
  expect(after.layers.every((layer) => layer.healthy)).toBe(true);
  expect(
    await page.evaluate(async () => (await (window.t.strata as Strata).info('later'))?.layer),
  ).toBe('localStorage');
});
