// A Vitest 4 browser provider for WebKitGTK: @vitest/browser-webdriverio's provider with the
// session WebKitWebDriver accepts (only `webkitgtk:browserOptions`: no browserName, so
// webdriverio adds none of the BiDi capabilities the driver refuses), and the driver itself
// started (under its own Xvfb: the MiniBrowser has no headless mode) when the browser opens
// and stopped when the provider closes.
import { defineBrowserProvider } from '@vitest/browser';
import { WebdriverBrowserProvider } from '@vitest/browser-webdriverio';
import type { BrowserProvider, TestProject } from 'vitest/node';
import { startWebKitDriver, webkitCapabilities } from '../../scripts/browsers.mjs';

export interface WebKitProviderOptions {
  /** Runs the MiniBrowser in private browsing (`--private`): WebKit's ephemeral session. */
  ephemeral?: boolean;
}

/** The parts of WebdriverBrowserProvider this file adjusts (some are private in its types). */
interface Adjustable {
  options: Record<string, unknown>;
  browser: unknown;
  buildCapabilities: () => Record<string, unknown>;
  openBrowser: () => Promise<unknown>;
  close: () => Promise<void>;
}

function createProvider(project: TestProject, webkit: WebKitProviderOptions) {
  const provider = new WebdriverBrowserProvider(project, {});
  const adjust = provider as unknown as Adjustable;
  const openBrowser = adjust.openBrowser.bind(provider);
  const close = adjust.close.bind(provider);
  let driver: Awaited<ReturnType<typeof startWebKitDriver>> | undefined;
  adjust.buildCapabilities = () => webkitCapabilities({ ephemeral: webkit.ephemeral ?? false });
  adjust.openBrowser = async () => {
    if (!adjust.browser && !driver) {
      driver = await startWebKitDriver();
      Object.assign(adjust.options, {
        hostname: driver.hostname,
        port: driver.port,
        connectionRetryCount: 0,
      });
    }
    return openBrowser();
  };
  adjust.close = async () => {
    try {
      await close();
    } finally {
      await driver?.stop();
      driver = undefined;
    }
  };
  // Its getCDPSession is typed against another copy of Vitest's CDPSession; never called here.
  return provider as unknown as BrowserProvider;
}

/** Vitest's `browser.provider` for WebKitGTK (instances: `{ browser: 'webkit' }`). */
export function webkitGtk(options: WebKitProviderOptions = {}) {
  return defineBrowserProvider({
    name: 'webdriverio',
    supportedBrowser: ['webkit'],
    options,
    providerFactory: (project) => createProvider(project, options),
  });
}
