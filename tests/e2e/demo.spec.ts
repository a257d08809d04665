import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../../scripts/browsers.mjs';

// The demo SPA as a newcomer runs it (`npm start`), in real Chromium with two tabs.
// Screenshots land in test-results/screenshots/; `npm run screenshots` writes them to
// docs/screenshots/, which the README shows, on purpose (a test run leaves the tree clean).
const DEMO = `http://127.0.0.1:${process.env.STRATA_E2E_DEMO_PORT ?? 5185}/`;
const SHOTS = process.env.STRATA_SCREENSHOTS ?? 'test-results/screenshots';

/** Opens the demo, failing the test on any console error or uncaught exception. */
async function openDemo(page: Page, problems: string[]): Promise<void> {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  await page.goto(DEMO);
  await expect(page.getByTestId('auth-status')).not.toHaveAttribute('data-status', 'loading');
}

const status = (page: Page) => page.getByTestId('auth-status');

async function signIn(page: Page, options: { remember?: boolean } = {}): Promise<void> {
  if (options.remember) await page.getByLabel('Remember me').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(status(page)).toHaveAttribute('data-status', 'authenticated');
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(status(page)).toHaveAttribute('data-status', 'unauthenticated');
}

test('guest cart merges on sign-in, tokens refresh, and sign-out reaches every tab (Chromium only: the README screenshots come from one engine)', async ({
  context,
}) => {
  const problems: string[] = [];
  const a = await context.newPage();
  await a.setViewportSize({ width: 1100, height: 900 });
  await openDemo(a, problems);
  await expect(status(a)).toHaveText('Signed out');

  // The user already has an apple in their cart from an earlier visit.
  await signIn(a);
  await a.getByRole('button', { name: 'Add apple' }).click();
  await expect(a.getByTestId('cart-apple')).toHaveText('Apple × 1');
  await signOut(a);

  // As a guest: an apple and a pear.
  await expect(a.getByTestId('cart-empty')).toBeVisible();
  await a.getByRole('button', { name: 'Add apple' }).click();
  await a.getByRole('button', { name: 'Add pear' }).click();
  await expect(a.getByTestId('cart-pear')).toHaveText('Pear × 1');
  await a.screenshot({ path: `${SHOTS}/signed-out-guest-cart.png`, fullPage: true });

  // Signing in merges the guest cart into the user's: apples add up.
  await signIn(a);
  await expect(status(a)).toHaveText('Signed in as Alice Example');
  await expect(a.getByTestId('cart-apple')).toHaveText('Apple × 2');
  await expect(a.getByTestId('cart-pear')).toHaveText('Pear × 1');
  await expect(a.getByTestId('token-valid')).toHaveText('yes');
  await a.screenshot({ path: `${SHOTS}/signed-in-merged-cart.png`, fullPage: true });

  // A second tab is signed in too and sees the same cart.
  const b = await context.newPage();
  await b.setViewportSize({ width: 1100, height: 900 });
  await openDemo(b, problems);
  await expect(status(b)).toHaveAttribute('data-status', 'authenticated');
  await expect(b.getByTestId('cart-apple')).toHaveText('Apple × 2');

  // Tokens: a forced refresh moves the expiry; the proactive timer refreshes on its own; the API accepts the token.
  const panel = a.locator('section', { has: a.getByRole('heading', { name: 'Access token' }) });
  const firstExpiry = Number(await a.getByTestId('token-expires-at').getAttribute('data-at'));
  await a.getByRole('button', { name: 'Force refresh' }).click();
  await expect(a.getByTestId('token-refreshes')).toHaveText('1');
  await expect
    .poll(async () => Number(await a.getByTestId('token-expires-at').getAttribute('data-at')))
    .toBeGreaterThan(firstExpiry);
  await expect
    .poll(async () => Number(await a.getByTestId('token-refreshes').textContent()), {
      timeout: 20_000,
    })
    .toBeGreaterThanOrEqual(2);
  await a.getByRole('button', { name: 'Call /api/me' }).click();
  await expect(a.getByTestId('me-result')).toHaveText('/api/me: HTTP 200: Alice Example');
  await panel.screenshot({ path: `${SHOTS}/token-panel.png` });

  // The inspector shows ciphertext: no user field or cart item in the clear.
  const inspector = a.getByTestId('inspector');
  await a.getByRole('button', { name: 'Reload' }).click();
  await expect(inspector).toContainText('localStorage');
  await expect(inspector).toContainText('CryptoKey (extractable: false)');
  const raw = await inspector.textContent();
  for (const plain of ['alice@example.com', 'Alice Example', 'Pear', 'cart:write'])
    expect(raw).not.toContain(plain);
  await a
    .locator('section', { has: inspector })
    .screenshot({ path: `${SHOTS}/storage-inspector.png` });

  // Signing out in one tab signs out the other.
  await signOut(a);
  await expect(status(b)).toHaveAttribute('data-status', 'unauthenticated');
  await expect(b.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await b.screenshot({ path: `${SHOTS}/other-tab-signed-out.png`, fullPage: true });

  expect(problems).toEqual([]);
});

test('a reload keeps a remembered session; a session without remember me ends when the browser closes (Chromium only, with the demo above)', async () => {
  // "The browser session ends" is a real browser restart on a profile kept on disk: localStorage,
  // IndexedDB (with the non-extractable device key) and persistent cookies survive; sessionStorage
  // and session cookies (where AuthSession records a non-remembered sign-in's browser session) do not.
  const profile = await mkdtemp(join(tmpdir(), 'strata-demo-profile-'));
  const problems: string[] = [];
  const launch = () => chromium.launchPersistentContext(profile, chromiumLaunchOptions());
  const restart = async (
    browser: BrowserContext,
  ): Promise<{ browser: BrowserContext; page: Page }> => {
    await browser.close();
    const next = await launch();
    const page = await next.newPage();
    await openDemo(page, problems);
    return { browser: next, page };
  };
  let browser = await launch();
  try {
    let page = await browser.newPage();
    await openDemo(page, problems);

    // Remembered: survives a reload and a browser restart.
    await signIn(page, { remember: true });
    await expect(status(page)).toHaveText('Signed in as Alice Example (remembered)');
    await page.reload();
    await expect(status(page)).toHaveAttribute('data-status', 'authenticated');
    ({ browser, page } = await restart(browser));
    await expect(status(page)).toHaveText('Signed in as Alice Example (remembered)');
    await signOut(page);

    // Not remembered: survives a reload and a second tab, not a browser restart.
    await signIn(page);
    await expect(status(page)).toHaveText('Signed in as Alice Example');
    await page.reload();
    await expect(status(page)).toHaveAttribute('data-status', 'authenticated');
    const other = await browser.newPage();
    await openDemo(other, problems);
    await expect(status(other)).toHaveAttribute('data-status', 'authenticated');
    ({ browser, page } = await restart(browser));
    await expect(status(page)).toHaveAttribute('data-status', 'unauthenticated');
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
  expect(problems).toEqual([]);
});
