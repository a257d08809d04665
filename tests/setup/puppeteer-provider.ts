// A Vitest 4 browser provider for Firefox over WebDriver BiDi with puppeteer-core (there is
// no geckodriver here, so @vitest/browser-webdriverio cannot drive Firefox). Mirrors
// @vitest/browser-playwright: one browser per project, one isolated browser context (a BiDi
// user context: its own storage) and page per Vitest session, the tester URL opened in it.
// Locators are webdriverio's (they address elements by CSS selectors, which puppeteer takes);
// the commands below are the user-event ones the tests use.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { defineBrowserProvider } from '@vitest/browser';
import type { Browser, BrowserContext, Frame, Page } from 'puppeteer-core';
import type { BrowserCommand, BrowserProvider, TestProject } from 'vitest/node';
import { firefoxLaunchOptions } from '../../scripts/browsers.mjs';

export interface PuppeteerProviderOptions {
  /** Opens every window in private browsing (`browser.privatebrowsing.autostart`). */
  privateBrowsing?: boolean;
}

const wdioLocators = resolve(
  dirname(createRequire(import.meta.url).resolve('@vitest/browser-webdriverio')),
  'locators.js',
);

interface Context {
  page: Page;
  frame: () => Promise<Frame>;
}

const element = async (context: Context, selector: string) => {
  const frame = await context.frame();
  const handle = await frame.waitForSelector(selector, { timeout: 5000 });
  if (!handle) throw new Error(`no element matches ${selector}`);
  return handle;
};

const commands: Record<string, BrowserCommand<never[]>> = {
  __vitest_click: (async (context: Context, selector: string) =>
    (await element(context, selector)).click()) as never,
  __vitest_dblClick: (async (context: Context, selector: string) =>
    (await element(context, selector)).click({ count: 2 })) as never,
  __vitest_hover: (async (context: Context, selector: string) =>
    (await element(context, selector)).hover()) as never,
  __vitest_clear: (async (context: Context, selector: string) => {
    const handle = await element(context, selector);
    await handle.evaluate((el) => {
      (el as HTMLInputElement).value = '';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }) as never,
  __vitest_fill: (async (context: Context, selector: string, text: string) => {
    const handle = await element(context, selector);
    await handle.evaluate((el) => ((el as HTMLInputElement).value = ''));
    await handle.type(text);
  }) as never,
  __vitest_type: (async (context: Context, selector: string, text: string) =>
    (await element(context, selector)).type(text)) as never,
};

class PuppeteerBrowserProvider implements BrowserProvider {
  name = 'puppeteer';
  supportsParallelism = true;
  initScripts = [wdioLocators];
  private browser: Promise<Browser> | undefined;
  private contexts = new Map<string, BrowserContext>();
  private pages = new Map<string, Page>();
  private closing = false;

  constructor(
    private project: TestProject,
    private options: PuppeteerProviderOptions,
  ) {
    for (const [name, command] of Object.entries(commands))
      project.browser!.registerCommand(name as never, command as never);
  }

  private openBrowser(): Promise<Browser> {
    this.browser ??= import('puppeteer-core').then(({ default: puppeteer }) =>
      puppeteer.launch({
        ...firefoxLaunchOptions({ privateBrowsing: this.options.privateBrowsing ?? false }),
        headless: this.project.config.browser.headless,
        protocolTimeout: 0,
      }),
    );
    return this.browser;
  }

  getCommandsContext(sessionId: string): Record<string, unknown> {
    const page = this.pages.get(sessionId);
    if (!page) throw new Error(`Page "${sessionId}" not found in Firefox.`);
    return {
      page,
      async frame() {
        const iframe = await page.waitForSelector('iframe[data-vitest="true"]', { timeout: 5000 });
        const frame = await iframe?.contentFrame();
        if (!frame) throw new Error('Cannot find the Vitest iframe on the page.');
        return frame;
      },
    };
  }

  async openPage(sessionId: string, url: string): Promise<void> {
    if (this.closing) throw new Error('[vitest] The provider was closed.');
    const browser = await this.openBrowser();
    await this.pages.get(sessionId)?.close();
    let context = this.contexts.get(sessionId);
    if (!context) {
      context = await browser.createBrowserContext();
      this.contexts.set(sessionId, context);
    }
    const page = await context.newPage();
    // Room for Vitest's iframe at scale 1 (414 × 896 by default): clicks land where the element is.
    await page.setViewport({ width: 1280, height: 1000 });
    this.pages.set(sessionId, page);
    await page.goto(url, { timeout: 0 });
  }

  async close(): Promise<void> {
    this.closing = true;
    const browser = this.browser;
    this.browser = undefined;
    this.pages.clear();
    this.contexts.clear();
    if (browser) await (await browser).close();
  }
}

/** Vitest's `browser.provider` for Firefox (instances: `{ browser: 'firefox' }`). */
export function puppeteerFirefox(options: PuppeteerProviderOptions = {}) {
  return defineBrowserProvider({
    name: 'puppeteer',
    supportedBrowser: ['firefox'],
    options,
    providerFactory: (project) => new PuppeteerBrowserProvider(project, options),
  });
}
