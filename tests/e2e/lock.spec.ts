import { expect, test, type Tab, openTabs } from './tabs.js';

for (const variant of ['Web Locks', 'IndexedDB lease (no Web Locks)'] as const) {
  const tabOptions = variant === 'Web Locks' ? {} : { withoutModernApis: true };

  test(`the cross-tab lock admits one holder at a time across pages: ${variant}`, async ({
    tabs: context,
  }) => {
    const tabs = await openTabs(context, 3, tabOptions);
    const name = `lock-${Date.now()}`;
    // Each holder counts itself in and out of an IndexedDB record: readwrite transactions on one
    // store run one after another across tabs, so the count is exact without comparing clocks.
    const mostInside = await Promise.all(
      tabs.map((tab: Tab) =>
        tab.evaluate(async (name) => {
          const db = await new Promise<IDBDatabase>((resolve, reject) => {
            const request = indexedDB.open(`probe-${name}`);
            request.onupgradeneeded = () => request.result.createObjectStore('holders');
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          const count = (delta: number) =>
            new Promise<number>((resolve, reject) => {
              const transaction = db.transaction('holders', 'readwrite');
              const holders = transaction.objectStore('holders');
              const read = holders.get('inside');
              read.onsuccess = () => {
                const inside = ((read.result as number | undefined) ?? 0) + delta;
                holders.put(inside, 'inside');
                transaction.oncomplete = () => resolve(inside);
              };
              transaction.onerror = () => reject(transaction.error);
            });
          let most = 0;
          for (let round = 0; round < 5; round++) {
            await window.S.withLock(name, async () => {
              most = Math.max(most, await count(1));
              await new Promise((resolve) => setTimeout(resolve, 10)); // a window for an overlap
              await count(-1);
            });
          }
          db.close();
          return most;
        }, name),
      ),
    );
    expect(mostInside).toEqual([1, 1, 1]);
  });

  test(`a lock not acquired within its timeout fails with LOCK_TIMEOUT and the work never runs: ${variant}`, async ({
    tabs: context,
  }) => {
    const [a, b] = (await openTabs(context, 2, tabOptions)) as [Tab, Tab];
    const name = `held-${Date.now()}`;
    await a.evaluate(
      (name) =>
        new Promise<void>((acquired) => {
          void window.S.withLock(
            name,
            () =>
              new Promise<void>((resolve) => {
                window.t.release = resolve;
                acquired();
              }),
          );
        }),
      name,
    );
    const result = await b.evaluate(async (name) => {
      let ran = false;
      try {
        await window.S.withLock(
          name,
          async () => {
            ran = true;
          },
          { timeout: 200 },
        );
        return { ran, code: 'none' };
      } catch (error) {
        return { ran, code: (error as { code?: string }).code };
      }
    }, name);
    expect(result).toEqual({ ran: false, code: 'LOCK_TIMEOUT' });
  });

  test(`a lock held by a tab that closes is released to the next waiter: ${variant}`, async ({
    tabs: context,
  }) => {
    const [a, b] = (await openTabs(context, 2, tabOptions)) as [Tab, Tab];
    const name = `orphan-${Date.now()}`;
    await a.evaluate(
      (name) =>
        new Promise<void>((acquired) => {
          void window.S.withLock(name, () => new Promise<void>(() => acquired())); // never releases
        }),
      name,
    );
    const waiting = b.evaluate(
      (name) => window.S.withLock(name, async () => 'acquired', { timeout: 10_000 }),
      name,
    );
    await a.close();
    expect(await waiting).toBe('acquired');
  });

  test(`onceAcrossTabs runs the work in one tab and hands its result to the others: ${variant}`, async ({
    tabs: context,
  }) => {
    const tabs = await openTabs(context, 3, tabOptions);
    const name = `once-${Date.now()}`;
    // The result is shared through a Strata on IndexedDB, whose commits every tab sees at once
    // (Chromium's localStorage reaches other tabs asynchronously, so `find` could miss it).
    const outcomes = await Promise.all(
      tabs.map((tab: Tab, index) =>
        tab.evaluate(
          async ({ name, index }) => {
            const shared = new window.S.Strata({ namespace: name, defaultStorage: 'indexedDB' });
            const find = async () => (await shared.get<string>('result')) ?? undefined;
            const work = async () => {
              await new Promise((resolve) => setTimeout(resolve, 50));
              await shared.set('result', `result of tab ${index}`);
              return `result of tab ${index}`;
            };
            return window.S.onceAcrossTabs(name, find, work);
          },
          { name, index },
        ),
      ),
    );
    expect(outcomes.filter((o) => o.by === 'this-tab')).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.value)).size).toBe(1);
  });
}
