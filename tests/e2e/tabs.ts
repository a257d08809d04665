// The page helpers and the Playwright Test fixtures of the multi-tab tests. Every test is
// written once over tests/e2e/driver.ts; the Playwright project (chromium, firefox, webkit)
// picks the engine: Playwright, puppeteer-core or webdriverio under the same `Tab` API.
import { expect, test as base } from '@playwright/test';
import { launch, type Driver, type Engine, type Tab, type Tabs } from './driver.js';

export type { Engine, Tab, Tabs };

export const test = base.extend<{ tabs: Tabs; engine: Engine }, { driver: Driver }>({
  driver: [
    async ({}, use, workerInfo) => {
      const driver = await launch(workerInfo.project.name as Engine);
      await use(driver);
      await driver.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  engine: async ({ driver }, use) => use(driver.engine),
  /** A fresh browsing context (storage of its own) of the project's engine; no uncaught page error allowed. */
  tabs: async ({ driver, baseURL }, use) => {
    const tabs = await driver.newContext(baseURL!);
    await use(tabs);
    const errors = (
      await Promise.all(
        tabs.tabs.map(async (tab, i) =>
          tab.closed ? [] : (await tab.errors().catch(() => [])).map((e) => `tab ${i}: ${e}`),
        ),
      )
    ).flat();
    await tabs.close();
    expect(errors, 'uncaught errors in the pages').toEqual([]);
  },
});

export { expect };

/** Waits until the text of the first element matching `selector` is `text`. */
export async function expectText(tab: Tab, selector: string, text: string): Promise<void> {
  await expect
    .poll(() =>
      tab.evaluate((selector) => document.querySelector(selector)?.textContent ?? null, selector),
    )
    .toBe(text);
}

/** Opens a harness page (`/`, or `/?without-modern-apis`) in a new tab and waits for it. */
export async function openHarness(
  tabs: Tabs,
  options: { withoutModernApis?: boolean } = {},
): Promise<Tab> {
  const tab = await tabs.newTab();
  await tab.goto(options.withoutModernApis ? '/?without-modern-apis' : '/');
  await expectText(tab, '#status', 'ready');
  return tab;
}

/**
 * Opens `count` harness pages (tabs) of one origin in one browsing context.
 * `withoutModernApis`: the pages look like a browser without Web Locks and BroadcastChannel
 * (Safari < 15.4); the harness hides them before any module runs (tests/e2e/harness/index.html).
 */
export async function openTabs(
  tabs: Tabs,
  count: number,
  options: { withoutModernApis?: boolean } = {},
): Promise<Tab[]> {
  const opened: Tab[] = [];
  for (let i = 0; i < count; i++) opened.push(await openHarness(tabs, options));
  return opened;
}

/** A namespace unique to one test. */
export function uniqueNamespace(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.floor(performance.now() * 1000).toString(36)}`;
}
