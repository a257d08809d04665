import type { BrowserContext, Page } from '@playwright/test';
import { expect } from '@playwright/test';

/** Makes a page look like a browser without Web Locks and BroadcastChannel (Safari < 15.4). */
export function withoutModernApis(): void {
  Object.defineProperty(Navigator.prototype, 'locks', { configurable: true, get: () => undefined });
  Object.defineProperty(window, 'BroadcastChannel', { configurable: true, value: undefined });
}

/** Opens `count` harness pages (tabs) of one origin in one browser context. */
export async function openTabs(
  context: BrowserContext,
  count: number,
  options: { initScript?: () => void } = {},
): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    if (options.initScript) await page.addInitScript(options.initScript);
    page.on('pageerror', (error) => {
      throw new Error(`uncaught error in tab ${i}: ${error.message}`);
    });
    await page.goto('/');
    await expect(page.locator('#status')).toHaveText('ready');
    pages.push(page);
  }
  return pages;
}

/** A namespace unique to one test. */
export function uniqueNamespace(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.floor(performance.now() * 1000).toString(36)}`;
}
