import { expect, expectText, openHarness, test, uniqueNamespace, type Tab } from './tabs.js';

// Issue 17, item 7, across page loads: what a browser's eviction does (every storage area and
// database of the origin deleted, cookies kept) is done between two loads, with no Strata
// open; the next load must name it, and tell it from a first visit.

type Page = Record<string, any>;

/** One page load: a Strata on `namespace` and an AuthSession on it, and what start-up said. */
const load = (page: Tab, namespace: string, kind: 'localStorage' | 'indexedDB') =>
  page.evaluate(
    async ({ namespace, kind }) => {
      const t = window.t as Page;
      const heard: string[][] = [];
      const strata = new window.S.Strata({ namespace, defaultStorage: kind });
      strata.on('evicted', ({ layers }) => heard.push(layers));
      const auth = new window.S.AuthSession({ storage: strata });
      const state = await auth.initialize();
      Object.assign(t, { strata, auth });
      return {
        heard,
        evicted: strata.status().evicted,
        auth: { status: state.status, reason: state.reason ?? null },
        cart: await strata.get('cart'),
      };
    },
    { namespace, kind },
  );

/** Closes the page's instances, as leaving the page does. */
const leave = (page: Tab) =>
  page.evaluate(async () => {
    const t = window.t as Page;
    t.auth.dispose();
    await t.strata.close();
  });

/** A new load of the harness page, once its script ran. */
async function reload(page: Tab): Promise<void> {
  await page.reload();
  await expectText(page, '#status', 'ready');
}

/** The browser evicts the origin's storage: both Web Storage areas and every Strata database. */
const evict = (page: Tab, namespace: string) =>
  page.evaluate(async (namespace) => {
    localStorage.clear();
    sessionStorage.clear();
    const prefix = encodeURIComponent(namespace);
    for (const name of [`strata:${prefix}`, `strata-secure:${prefix}`, 'strata-keyring'])
      await new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase(name);
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error(`${name}: still open`));
      });
  }, namespace);

for (const kind of ['localStorage', 'indexedDB'] as const) {
  test(`eviction of ${kind} between page loads: the next load hears 'evicted', status says it, AuthSession signs out with reason 'evicted'; a first visit and an ordinary reload say nothing`, async ({
    tabs,
  }) => {
    const namespace = uniqueNamespace(`evict-${kind}`);
    const page = await openHarness(tabs);
    const firstVisit = {
      heard: [],
      evicted: [],
      auth: { status: 'unauthenticated', reason: null },
    };
    expect(await load(page, namespace, kind)).toEqual({ ...firstVisit, cart: null });
    await page.evaluate(async () => {
      const t = window.t as Page;
      await t.strata.set('cart', [1, 2]);
      await t.auth.login({ userId: 'u1' });
    });
    await leave(page);

    await reload(page);
    expect(await load(page, namespace, kind)).toEqual({
      heard: [],
      evicted: [],
      auth: { status: 'authenticated', reason: null },
      cart: [1, 2],
    });
    await leave(page);

    await reload(page);
    await evict(page, namespace);
    await reload(page);
    expect(await load(page, namespace, kind)).toEqual({
      heard: [[kind]],
      evicted: [kind],
      auth: { status: 'unauthenticated', reason: 'evicted' },
      cart: null,
    });
    // Written again, the store is marked again: the load after is an ordinary one.
    await page.evaluate(() => (window.t as Page).strata.set('cart', [3]));
    await leave(page);
    await reload(page);
    expect(await load(page, namespace, kind)).toMatchObject({ heard: [], evicted: [], cart: [3] });
    await leave(page);

    // Another namespace of the same origin, never used: a first visit, not an eviction.
    const other = await openHarness(tabs);
    expect(await load(other, uniqueNamespace(`evict-${kind}-new`), kind)).toEqual({
      ...firstVisit,
      cart: null,
    });
  });
}
