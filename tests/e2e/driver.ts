// The small driver layer the multi-tab tests are written once over: an engine gives isolated
// browsing contexts (fresh storage each), a context gives tabs, a tab evaluates functions,
// navigates, reloads and closes. Chromium through Playwright, Firefox through puppeteer-core
// (WebDriver BiDi), WebKitGTK through webdriverio and WebKitWebDriver (WebDriver classic).
// Functions cross to the page as source text (as with Playwright): no closures.
import type { Browser as PwBrowser, BrowserContext as PwContext, Page as PwPage } from 'playwright';
import type {
  Browser as PpBrowser,
  BrowserContext as PpContext,
  Page as PpPage,
} from 'puppeteer-core';
import {
  chromiumLaunchOptions,
  firefoxLaunchOptions,
  startWebKitDriver,
  webkitCapabilities,
  type Engine,
} from '../../scripts/browsers.mjs';

export type { Engine };

export interface Tab {
  /** Runs `fn(arg)` in the page and resolves to its (JSON-like) result. */
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** Opens `url` (absolute, or a path on the context's base URL) and waits for its load. */
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Closes the tab without running beforeunload handlers. */
  close(): Promise<void>;
  /** Crashes the tab's renderer, where the driver can (Chromium only). */
  crash?: () => Promise<void>;
  /** Uncaught errors and unhandled rejections of the page so far. */
  errors(): Promise<string[]>;
  readonly closed: boolean;
}

export interface Tabs {
  /** A new tab of this context (about:blank until `goto`). */
  newTab(): Promise<Tab>;
  readonly tabs: readonly Tab[];
  close(): Promise<void>;
}

export interface Driver {
  engine: Engine;
  /** Browser name and version as the engine reports it. */
  version: string;
  /** A browsing context with storage of its own; relative URLs resolve against `baseURL`. */
  newContext(baseURL: string): Promise<Tabs>;
  close(): Promise<void>;
}

/** Launches the engine. */
export function launch(engine: Engine): Promise<Driver> {
  if (engine === 'chromium') return launchChromium();
  if (engine === 'firefox') return launchFirefox();
  return launchWebKit();
}

const absolute = (baseURL: string, url: string) => new URL(url, baseURL).href;

/** A context whose tabs are tracked, closed with it. */
function tracked(open: () => Promise<Tab>, closeAll: () => Promise<void>): Tabs {
  const tabs: Tab[] = [];
  return {
    tabs,
    async newTab() {
      const tab = await open();
      tabs.push(tab);
      return tab;
    },
    close: closeAll,
  };
}

// ── Chromium: Playwright ──────────────────────────────────────────────────────────────

async function launchChromium(): Promise<Driver> {
  const { chromium } = await import('playwright');
  const browser: PwBrowser = await chromium.launch(chromiumLaunchOptions());
  return {
    engine: 'chromium',
    version: `Chromium ${browser.version()}`,
    async newContext(baseURL) {
      const context: PwContext = await browser.newContext({ baseURL });
      return tracked(
        async () => playwrightTab(context, await context.newPage()),
        () => context.close(),
      );
    },
    close: () => browser.close(),
  };
}

function playwrightTab(context: PwContext, page: PwPage): Tab {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  let closed = false;
  page.on('close', () => (closed = true));
  return {
    evaluate: ((fn: never, arg: never) => page.evaluate(fn, arg)) as unknown as Tab['evaluate'],
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    close: () => page.close({ runBeforeUnload: false }),
    crash: async () => {
      const crashed = new Promise((resolve) => page.once('crash', resolve));
      const cdp = await context.newCDPSession(page);
      void cdp.send('Page.crash').catch(() => undefined); // never answered: the renderer is gone
      await crashed;
    },
    errors: async () => [...errors],
    get closed() {
      return closed;
    },
  };
}

// ── Firefox: puppeteer-core over WebDriver BiDi ───────────────────────────────────────

async function launchFirefox(): Promise<Driver> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser: PpBrowser = await puppeteer.launch({
    ...firefoxLaunchOptions(),
    protocolTimeout: 120_000,
  });
  const version = (await browser.version()).replace('firefox/', 'Firefox ');
  return {
    engine: 'firefox',
    version,
    async newContext(baseURL) {
      const context: PpContext = await browser.createBrowserContext();
      return tracked(
        async () => puppeteerTab(baseURL, await context.newPage()),
        () => context.close(),
      );
    },
    close: () => browser.close(),
  };
}

function puppeteerTab(baseURL: string, page: PpPage): Tab {
  const errors: string[] = [];
  page.on('pageerror', (error) =>
    errors.push(error instanceof Error ? error.message : String(error)),
  );
  let closed = false;
  page.on('close', () => (closed = true));
  return {
    evaluate: ((fn: never, arg: never) => page.evaluate(fn, arg)) as unknown as Tab['evaluate'],
    goto: async (url) => void (await page.goto(absolute(baseURL, url))),
    reload: async () => void (await page.reload()),
    close: async () => {
      closed = true;
      await page.close({ runBeforeUnload: false });
    },
    errors: async () => [...errors],
    get closed() {
      return closed;
    },
  };
}

// ── WebKitGTK: webdriverio over WebDriver classic ─────────────────────────────────────

/**
 * A WebDriver session drives one window at a time, one command at a time. So that tabs still
 * run concurrently, `evaluate` starts the function in the page and returns at once, then
 * polls for its result; every command (with the window switch it needs) runs under one queue.
 */
async function launchWebKit(): Promise<Driver> {
  const { remote } = await import('webdriverio');
  const service = await startWebKitDriver();
  const sessions = new Set<WebdriverIO.Browser>();
  let version = 'WebKitGTK';
  return {
    engine: 'webkit',
    get version() {
      return version;
    },
    async newContext(baseURL) {
      // A session is a MiniBrowser of its own, with ephemeral storage: a fresh context.
      const session = await remote({
        hostname: service.hostname,
        port: service.port,
        logLevel: 'error',
        connectionRetryCount: 0,
        capabilities: webkitCapabilities() as WebdriverIO.Capabilities,
      });
      sessions.add(session);
      const caps = session.capabilities as { browserName?: string; browserVersion?: string };
      version = `WebKitGTK ${caps.browserVersion ?? ''} (${caps.browserName ?? 'MiniBrowser'})`;
      const queue = commandQueue(session);
      // Windows of this session; a spare blank one is kept while no tab is open, as closing
      // a session's last window ends the session.
      const open = new Set<string>();
      let spare: string | undefined = await session.getWindowHandle();
      const windows: Windows = {
        async open() {
          let handle = spare;
          spare = undefined;
          handle ??= (await queue.run(null, () => session.createWindow('window'))).handle;
          open.add(handle);
          return handle;
        },
        async close(handle) {
          if (open.size === 1 && !spare)
            spare = (await queue.run(null, () => session.createWindow('window'))).handle;
          await queue.run(handle, () => session.closeWindow());
          queue.forget(handle);
          open.delete(handle);
        },
      };
      return tracked(
        async () => webdriverTab(baseURL, session, queue, windows, await windows.open()),
        async () => {
          sessions.delete(session);
          await session.deleteSession().catch(() => undefined);
        },
      );
    },
    async close() {
      for (const session of sessions) await session.deleteSession().catch(() => undefined);
      sessions.clear();
      await service.stop();
    },
  };
}

interface Queue {
  /** Runs `work` after the commands before it, with `handle` (unless null) the current window. */
  run<T>(handle: string | null, work: () => Promise<T>): Promise<T>;
  /** A closed window is no longer the current one. */
  forget(handle: string): void;
}

interface Windows {
  open(): Promise<string>;
  close(handle: string): Promise<void>;
}

function commandQueue(session: WebdriverIO.Browser): Queue {
  let tail: Promise<unknown> = Promise.resolve();
  let current: string | undefined;
  return {
    run(handle, work) {
      const next = tail.then(async () => {
        if (handle && handle !== current) {
          await session.switchToWindow(handle);
          current = handle;
        }
        return work();
      });
      tail = next.catch(() => undefined);
      return next;
    },
    forget(handle) {
      if (current === handle) current = undefined;
    },
  };
}

/** Starts `window.__evals[id]` = the settled result of the function, as JSON. */
const START = `
  const [id, source, arg] = arguments;
  const slots = (window.__evals ??= {});
  const slot = (slots[id] = { done: false });
  Promise.resolve()
    .then(() => new Function('return (' + source + ')')()(arg))
    .then(
      (value) => Object.assign(slot, { done: true, json: value === undefined ? undefined : JSON.stringify(value) }),
      (error) => Object.assign(slot, { done: true, error: String((error && error.stack) || error) }),
    );
  return true;`;

/** Answers the slot once settled (waiting up to 100 ms for it), `{ pending }` otherwise, `{ gone }` after a navigation. */
const POLL = `
  const id = arguments[0];
  const done = arguments[arguments.length - 1];
  const slot = window.__evals && window.__evals[id];
  if (!slot) return done({ gone: true });
  const answer = () => {
    delete window.__evals[id];
    done({ json: slot.json, error: slot.error });
  };
  if (slot.done) return answer();
  const started = Date.now();
  const timer = setInterval(() => {
    if (slot.done) { clearInterval(timer); answer(); }
    else if (Date.now() - started > 100) { clearInterval(timer); done({ pending: true }); }
  }, 2);`;

/** Records uncaught errors and unhandled rejections of the page (WebDriver classic has no events). */
const RECORD_ERRORS = `
  if (!window.__errors) {
    window.__errors = [];
    window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
    window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason && e.reason.message || e.reason)));
  }
  return true;`;

let evalIds = 0;

function webdriverTab(
  baseURL: string,
  browser: WebdriverIO.Browser,
  queue: Queue,
  windows: Windows,
  handle: string,
): Tab {
  let closed = false;
  const run = <T>(work: () => Promise<T>) => {
    if (closed) return Promise.reject(new Error('Target page has been closed'));
    return queue.run(handle, work);
  };
  return {
    evaluate: (async (fn: (arg: unknown) => unknown, arg?: unknown) => {
      const id = `e${++evalIds}`;
      await run(() => browser.execute(START, id, fn.toString(), arg));
      for (;;) {
        const answer = (await run(() => browser.executeAsync(POLL, id))) as {
          json?: string | null;
          error?: string | null;
          pending?: boolean;
          gone?: boolean;
        };
        if (answer.gone) throw new Error('Execution context was destroyed (the page navigated)');
        if (answer.pending) continue;
        // WebDriver hands an absent property back as null.
        if (answer.error != null) throw new Error(answer.error);
        return answer.json == null ? undefined : JSON.parse(answer.json);
      }
    }) as Tab['evaluate'],
    goto: async (url) => {
      await run(async () => {
        await browser.url(absolute(baseURL, url));
        await browser.execute(RECORD_ERRORS);
      });
    },
    reload: async () => {
      await run(async () => {
        await browser.refresh();
        await browser.execute(RECORD_ERRORS);
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await windows.close(handle);
    },
    errors: async () =>
      closed
        ? []
        : ((await run(() => browser.execute('return window.__errors || []'))) as string[]),
    get closed() {
      return closed;
    },
  };
}
