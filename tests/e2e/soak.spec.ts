import { expect, openHarness, test, uniqueNamespace, type Tab } from './tabs.js';

type Strata = InstanceType<typeof window.S.Strata>;

const TABS = 4;
const DURATION_MS = 20_000;

interface TabReport {
  ops: number;
  counts: Record<string, number>;
  /** The last value this tab wrote to each of its own keys. */
  own: Record<string, number>;
  failures: string[];
}

test.describe.configure({ mode: 'parallel' });

for (const kind of ['localStorage', 'sessionStorage', 'indexedDB', 'memory'] as const) {
  test(`soak: ${TABS} tabs of mixed operations for ${DURATION_MS / 1000} s converge with no lost write, every tab last told the stored values (${kind}) (Chromium only: one engine's soak keeps npm test within its time budget; the four-tab convergence tests run in all three)`, async ({
    tabs,
  }, testInfo) => {
    test.setTimeout(DURATION_MS + 90_000);
    const namespace = uniqueNamespace(`soak-${kind}`);
    const tabList: Tab[] = [];
    for (let i = 0; i < TABS; i++) {
      const page = await openHarness(tabs);
      await page.evaluate(
        async ({ namespace, kind }) => {
          window.t.errors = [];
          // What the page's scripts log as errors or warnings (the drivers differ in console events).
          const logged: string[] = [];
          window.t.logged = logged;
          for (const level of ['error', 'warn'] as const) {
            const original = console[level].bind(console);
            console[level] = (...args: unknown[]) => {
              logged.push(`console.${level}: ${args.map(String).join(' ')}`);
              original(...args);
            };
          }
          const s = new window.S.Strata({
            namespace,
            defaultStorage: kind,
            sync: { enabled: true },
            onError: (e) => (window.t.errors as string[]).push(`${e.code}: ${e.message}`),
          });
          await s.ready();
          window.t.strata = s;
          // The last value each key's change notification carried in this tab.
          const told: Record<string, unknown> = {};
          window.t.told = told;
          s.subscribe('', (change) => (told[change.key] = change.newValue));
        },
        { namespace, kind },
      );
      tabList.push(page);
    }
    const pageErrors = async () =>
      (
        await Promise.all(
          tabList.map(async (tab, i) =>
            [
              ...(await tab.errors()),
              ...(await tab.evaluate(() => window.t.logged as string[])),
            ].map((e) => `tab ${i}: ${e}`),
          ),
        )
      ).flat();

    const started = Date.now();
    const reports = await Promise.all(
      tabList.map((tab, index) =>
        tab.evaluate(
          async ({ index, duration }): Promise<TabReport> => {
            const s = window.t.strata as Strata;
            const random = (n: number) => crypto.getRandomValues(new Uint32Array(1))[0]! % n;
            const report: TabReport = { ops: 0, counts: {}, own: {}, failures: [] };
            const end = performance.now() + duration;
            let seq = 0;
            while (performance.now() < end) {
              const roll = random(100);
              const shared = `shared:${random(3)}:${random(8)}`;
              let op: string;
              try {
                if (roll < 35) {
                  op = 'set-shared';
                  await s.set(
                    shared,
                    { tab: index, seq: seq++ },
                    random(4) === 0 ? { tags: ['t'] } : {},
                  );
                } else if (roll < 60) {
                  op = 'set-own';
                  const key = `own:${index}:${random(40)}`;
                  const value = seq++;
                  await s.set(key, value);
                  report.own[key] = value;
                } else if (roll < 80) {
                  op = 'get';
                  await s.get(random(2) === 0 ? shared : `own:${random(4)}:${random(40)}`);
                } else if (roll < 90) {
                  op = 'remove-shared';
                  await s.remove(shared);
                } else if (roll < 96) {
                  op = 'clear-prefix';
                  await s.clear({ prefix: `shared:${random(3)}:` });
                } else {
                  op = 'keys';
                  await s.keys('shared:*');
                }
              } catch (error) {
                op = 'failed';
                report.failures.push(String(error));
              }
              report.ops++;
              report.counts[op] = (report.counts[op] ?? 0) + 1;
              if (random(4) === 0) await new Promise((resolve) => setTimeout(resolve, random(8)));
            }
            return report;
          },
          { index, duration: DURATION_MS },
        ),
      ),
    );
    const elapsed = Date.now() - started;

    const snapshot = (tab: Tab) =>
      tab.evaluate(async () => {
        const s = window.t.strata as Strata;
        const out: Record<string, unknown> = {};
        for (const key of await s.keys()) out[key] = await s.get(key);
        return out;
      });
    let states: Array<Record<string, unknown>> = [];
    await expect
      .poll(
        async () => {
          states = await Promise.all(tabList.map(snapshot));
          return states.every((state) => JSON.stringify(state) === JSON.stringify(states[0]));
        },
        { timeout: 30_000 },
      )
      .toBe(true)
      .catch((error: unknown) => {
        const keys = new Set(states.flatMap((state) => Object.keys(state)));
        const differing = [...keys].filter(
          (key) => new Set(states.map((state) => JSON.stringify(state[key] ?? null))).size > 1,
        );
        console.log(
          `SOAK diverged on ${differing.length} key(s): ${JSON.stringify(differing.slice(0, 5).map((key) => [key, states.map((state) => state[key] ?? null)]))}`,
        );
        throw error;
      });

    const final = states[0] ?? {};
    // Subscribers too: each tab's last notification per key is the stored value (null: gone).
    const stale = async () =>
      (
        await Promise.all(
          tabList.map(async (tab, i) => {
            const told = await tab.evaluate(() => window.t.told as Record<string, unknown>);
            const keys = new Set([...Object.keys(told), ...Object.keys(final)]);
            return [...keys]
              .filter(
                (key) => JSON.stringify(told[key] ?? null) !== JSON.stringify(final[key] ?? null),
              )
              .map((key) => `tab ${i}: ${key}`);
          }),
        )
      ).flat();
    await expect.poll(stale, { timeout: 15_000 }).toEqual([]);
    const lost = reports.flatMap((report) =>
      Object.entries(report.own)
        .filter(([key, value]) => final[key] !== value)
        .map(([key]) => key),
    );
    const problems = await pageErrors();
    const strataErrors = (
      await Promise.all(tabList.map((tab) => tab.evaluate(() => window.t.errors as string[])))
    ).flat();
    const figures = {
      layer: kind,
      tabs: TABS,
      ops: reports.reduce((sum, r) => sum + r.ops, 0),
      opsPerTab: reports.map((r) => r.ops),
      byKind: reports.reduce<Record<string, number>>((all, r) => {
        for (const [op, n] of Object.entries(r.counts)) all[op] = (all[op] ?? 0) + n;
        return all;
      }, {}),
      durationMs: elapsed,
      finalKeys: Object.keys(final).length,
      distinctKeysWritten: reports.reduce((sum, r) => sum + Object.keys(r.own).length, 0),
      writesLost: lost.length,
      staleNotifications: (await stale()).length,
      pageErrors: problems.length,
      strataErrors: strataErrors.length,
      failedOps: reports.reduce((sum, r) => sum + r.failures.length, 0),
    };
    console.log(`SOAK ${JSON.stringify(figures)}`);
    await testInfo.attach('soak-figures', {
      body: JSON.stringify(figures, null, 2),
      contentType: 'application/json',
    });
    expect(problems).toEqual([]);
    expect(strataErrors).toEqual([]);
    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    expect(lost).toEqual([]);
    expect(figures.ops).toBeGreaterThan(TABS * 300);
  });
}
