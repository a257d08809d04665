// Finds the Chromium the tests, the benchmark and the demo screenshots drive.
// Order: $CHROMIUM_PATH, Debian's /usr/bin/chromium, then Playwright's own download.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

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

/** Absolute path of a Chromium binary, or an Error that says how to get one. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but no file is there.`);
  }
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(candidate)) return candidate;
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
