import { expect, test, type Tab, openTabs } from './tabs.js';

for (const variant of ['Web Locks', 'IndexedDB lease (no Web Locks)'] as const) {
  const tabOptions = variant === 'Web Locks' ? {} : { withoutModernApis: true };

  test(`the cross-tab lock admits one holder at a time across pages: ${variant}`, async ({
    tabs: context,
  }) => {
    const tabs = await openTabs(context, 3, tabOptions);
    const name = `lock-${Date.now()}`;
    // Each holder records when it entered and left (one clock for all tabs of the machine).
    const intervals = (
      await Promise.all(
        tabs.map((tab: Tab) =>
          tab.evaluate(async (name) => {
            const held: Array<[number, number]> = [];
            const now = () => performance.timeOrigin + performance.now();
            for (let round = 0; round < 5; round++) {
              await window.S.withLock(name, async () => {
                const start = now();
                await new Promise((resolve) => setTimeout(resolve, 10));
                held.push([start, now()]);
              });
            }
            return held;
          }, name),
        ),
      )
    )
      .flat()
      .sort((x, y) => x[0] - y[0]);
    expect(intervals).toHaveLength(15);
    // Firefox and WebKit coarsen performance.now() and timeOrigin to about 1 ms, so two tabs'
    // clocks may disagree by up to 2 ms; a real overlap would be the whole 10 ms hold.
    for (let i = 1; i < intervals.length; i++)
      expect(intervals[i]![0]).toBeGreaterThanOrEqual(intervals[i - 1]![1] - 2);
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
