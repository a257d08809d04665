// Finds the three browser engines the tests, the benchmark and the demo screenshots drive,
// and starts the WebKitGTK driver (under its own Xvfb) for the tests that need it.
//   Chromium:  $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, Playwright's download
//   Firefox:   $FIREFOX_PATH, /usr/bin/firefox-esr, /usr/bin/firefox (driven over WebDriver BiDi)
//   WebKit:    $WEBKIT_DRIVER_PATH (WebKitWebDriver) and $WEBKIT_MINIBROWSER_PATH (MiniBrowser),
//              then Debian's /usr/bin/WebKitWebDriver and /usr/lib/<arch>/webkit2gtk-4.1/MiniBrowser;
//              the MiniBrowser has no headless mode, so it runs under Xvfb ($XVFB_PATH or Xvfb).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

/** The engines, by the names used in Vitest and Playwright project names. */
export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** Flags for headless Chromium on a machine without network or GPU. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Firefox preferences for tests: no first-run pages, no updates, no network chatter, and
 * timers in background tabs not throttled to 1 s (as Playwright launches Chromium with
 * --disable-background-timer-throttling): the multi-tab tests drive several tabs at once.
 */
export const FIREFOX_PREFS = {
  'dom.min_background_timeout_value': 4,
  'dom.min_background_timeout_value_without_budget_throttling': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'extensions.update.enabled': false,
};

/** The first existing file of `candidates`, after `$envName` (which must exist when set). */
function find(envName, candidates, howToGet) {
  const fromEnv = process.env[envName];
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`${envName} is set to ${fromEnv}, but no file is there.`);
  }
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  throw new Error(howToGet);
}

/** Absolute path of a Chromium binary, or an Error that says how to get one. */
export function findChromium() {
  try {
    return find('CHROMIUM_PATH', ['/usr/bin/chromium', '/usr/bin/chromium-browser'], 'none');
  } catch (error) {
    if (process.env.CHROMIUM_PATH) throw error;
  }
  try {
    const { chromium } = createRequire(import.meta.url)('playwright');
    const bundled = chromium.executablePath();
    if (bundled && existsSync(bundled)) return bundled;
  } catch {
    // playwright not installed or no browser downloaded
  }
  throw new Error(
    'No Chromium found. Install one (Debian/Ubuntu: `apt-get install -y chromium`), ' +
      'or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  );
}

/** Launch options for Playwright's `chromium.launch()`. */
export function chromiumLaunchOptions() {
  return { executablePath: findChromium(), args: CHROMIUM_ARGS, headless: true };
}

/** Absolute path of a Firefox binary (ESR 128 or later: WebDriver BiDi), or an Error. */
export function findFirefox() {
  return find(
    'FIREFOX_PATH',
    ['/usr/bin/firefox-esr', '/usr/bin/firefox'],
    'No Firefox found. Install one (Debian/Ubuntu: `apt-get install -y firefox-esr`), ' +
      'or point FIREFOX_PATH at a Firefox binary.',
  );
}

/**
 * Launch options for puppeteer-core's `launch()` in Firefox; `privateBrowsing` opens every
 * window in private browsing (the pref `browser.privatebrowsing.autostart`).
 */
export function firefoxLaunchOptions({ privateBrowsing = false } = {}) {
  return {
    browser: 'firefox',
    executablePath: findFirefox(),
    headless: true,
    extraPrefsFirefox: {
      ...FIREFOX_PREFS,
      ...(privateBrowsing ? { 'browser.privatebrowsing.autostart': true } : {}),
    },
  };
}

const WEBKIT_HOW_TO =
  'Install it (Debian/Ubuntu: `apt-get install -y webkit2gtk-driver libwebkit2gtk-4.1-0 xvfb`), ' +
  'or point WEBKIT_DRIVER_PATH at WebKitWebDriver and WEBKIT_MINIBROWSER_PATH at the MiniBrowser.';

/** Paths of WebKitWebDriver, the WebKitGTK MiniBrowser and Xvfb, or an Error that says how to get them. */
export function findWebKit() {
  const driver = find(
    'WEBKIT_DRIVER_PATH',
    ['/usr/bin/WebKitWebDriver', '/usr/local/bin/WebKitWebDriver'],
    `No WebKitWebDriver found. ${WEBKIT_HOW_TO}`,
  );
  const miniBrowser = find(
    'WEBKIT_MINIBROWSER_PATH',
    [
      '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
      '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
      '/usr/libexec/webkit2gtk-4.1/MiniBrowser',
    ],
    `No WebKitGTK MiniBrowser found. ${WEBKIT_HOW_TO}`,
  );
  const xvfb = find(
    'XVFB_PATH',
    ['/usr/bin/Xvfb', '/usr/local/bin/Xvfb'],
    `No Xvfb found (the MiniBrowser has no headless mode). ${WEBKIT_HOW_TO}`,
  );
  return { driver, miniBrowser, xvfb };
}

/**
 * WebDriver capabilities for a WebKitGTK session: only `webkitgtk:browserOptions` (the driver
 * refuses a `browserName` of 'safari' or 'MiniBrowser', and webdriverio adds BiDi capabilities
 * WebKitWebDriver rejects whenever `browserName` is set). `ephemeral` runs the MiniBrowser in
 * private browsing (`--private`).
 */
export function webkitCapabilities({ ephemeral = false } = {}) {
  const { miniBrowser } = findWebKit();
  return {
    'webkitgtk:browserOptions': {
      binary: miniBrowser,
      args: ['--automation', ...(ephemeral ? ['--private'] : [])],
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Every process started here, stopped when this process exits however it exits. */
const started = new Set();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** Starts Xvfb on a free display (`-displayfd`), resolving once it accepts clients. */
function startXvfb(xvfb) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      xvfb,
      ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      },
    );
    started.add(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let out = '';
    child.stdio[3].on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve({ child, display: `:${out.trim()}` });
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      started.delete(child);
      reject(new Error(`Xvfb exited (${code}) before it was ready: ${stderr.trim()}`));
    });
  });
}

/** Resolves once the WebDriver server on `port` answers /status, or rejects after `ms`. */
async function waitForDriver(port, child, ms = 20_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode}).`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`WebKitWebDriver did not answer on port ${port} within ${ms} ms.`);
}

/**
 * Starts an Xvfb and a WebKitWebDriver on a free port that opens MiniBrowsers on it.
 * Resolves to `{ hostname, port, display, stop }`; `stop()` ends both.
 */
export async function startWebKitDriver() {
  const { driver, xvfb } = findWebKit();
  const x = await startXvfb(xvfb);
  x.child.removeAllListeners('exit');
  x.child.once('exit', () => started.delete(x.child));
  const port = await freePort();
  const child = spawn(driver, [`--port=${port}`, '--host=127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DISPLAY: x.display },
  });
  started.add(child);
  child.once('exit', () => started.delete(child));
  const stop = async () => {
    for (const c of [child, x.child]) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  };
  try {
    await waitForDriver(port, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { hostname: '127.0.0.1', port, display: x.display, stop };
}
