import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../../scripts/browsers.mjs';

// The demo SPA as a newcomer runs it (`npm start`), in real Chromium with two tabs: it signs in
// at the demo's oidc-provider (its own login page), holds DPoP-bound tokens and calls the app
// API with proofs. Screenshots land in test-results/screenshots/; `npm run screenshots` writes
// them to docs/screenshots/, which the README shows, on purpose (a test run leaves the tree clean).
const DEMO = `http://127.0.0.1:${process.env.STRATA_E2E_DEMO_PORT ?? 5185}/`;
const PROVIDER = `http://127.0.0.1:${process.env.STRATA_E2E_DEMO_AUTH_PORT ?? 5186}`;
/** The demo provider's introspection client (playwright.config.ts passes the same value). */
const INTROSPECTION_SECRET =
  process.env.STRATA_E2E_DEMO_INTROSPECTION_SECRET ?? 'e2e-demo-introspection';
const SHOTS = process.env.STRATA_SCREENSHOTS ?? 'test-results/screenshots';

/** Answers the browser logs as errors by design: the provider's DPoP nonce challenge (400) and a refused password (401). */
const expected = (url: string) =>
  url === `${PROVIDER}/token` || /^.+\/interaction\/[^/]+\/login$/.test(url);

/** Opens the demo, failing the test on any console error or uncaught exception. */
async function openDemo(page: Page, problems: string[]): Promise<void> {
  page.on('console', (message) => {
    if (message.type() === 'error' && !expected(message.location().url))
      problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  await page.goto(DEMO);
  await expect(status(page)).not.toHaveAttribute('data-status', 'loading');
}

const status = (page: Page) => page.getByTestId('auth-status');

/** At the provider's login page: types `password` for alice and submits. */
async function typeCredentials(page: Page, password: string): Promise<void> {
  await expect(page).toHaveURL(new RegExp(`^${PROVIDER}/interaction/`));
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in through the provider as alice / password and waits for the demo to say so. */
async function signIn(page: Page, options: { remember?: boolean } = {}): Promise<void> {
  if (options.remember) await page.getByLabel('Remember me').check();
  await page.getByRole('button', { name: 'Sign in with the demo provider' }).click();
  await typeCredentials(page, 'password');
  await expect(status(page)).toHaveAttribute('data-status', 'authenticated');
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out everywhere' }).click();
  await expect(status(page)).toHaveAttribute('data-status', 'unauthenticated');
}

/** RFC 7662 at the provider, as a resource server would ask: is `token` still good? */
async function active(token: string): Promise<boolean> {
  const response = await fetch(`${PROVIDER}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`strata-demo-introspection:${INTROSPECTION_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token' }).toString(),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { active: boolean }).active;
}

test('sign-in at the provider, DPoP tokens, cart merge, inspector, and sign-out reaching every tab and the provider (Chromium only: the README screenshots come from one engine)', async ({
  context,
}) => {
  const problems: string[] = [];
  // The provider's token answers as the browser received them, in order. A response event fires
  // before the page reads that answer, so once the page shows its effect the body is listed here;
  // tokens() awaits every body rather than reading variables a callback fills some time later.
  const answers: Array<Promise<{ refresh_token?: string; token_type?: string }>> = [];
  context.on('response', (response) => {
    if (response.url() !== `${PROVIDER}/token` || response.status() !== 200) return;
    answers.push(response.json());
  });
  /** The last token type and refresh token the provider handed out. */
  const tokens = async () => {
    const bodies = await Promise.all(answers);
    const withRefresh = bodies.filter((body) => body.refresh_token !== undefined);
    return {
      count: bodies.length,
      tokenType: bodies.at(-1)?.token_type,
      refreshToken: withRefresh.at(-1)?.refresh_token,
    };
  };
  const a = await context.newPage();
  await a.setViewportSize({ width: 1440, height: 900 });
  await openDemo(a, problems);
  await expect(status(a)).toHaveText('Signed out');
  await expect(a.getByTestId('inspector-empty')).toBeVisible(); // a first visit says why it is empty

  // A wrong password is refused at the provider's page, which asks again.
  await a.getByRole('button', { name: 'Sign in with the demo provider' }).click();
  await typeCredentials(a, 'not-the-password');
  await expect(a.getByRole('alert')).toHaveText('Wrong username or password.');
  await expect(a).toHaveURL(new RegExp(`^${PROVIDER}/interaction/`));
  await a.screenshot({ path: `${SHOTS}/provider-login.png` });
  await typeCredentials(a, 'password');
  await expect(status(a)).toHaveText('Signed in as Alice Example');
  await expect(a).toHaveURL(DEMO); // the code and state are gone from the address bar
  await expect(a.getByTestId('merge-note')).toHaveText(
    'The guest cart was empty: nothing to merge.',
  );

  // The user has an apple in their cart from an earlier visit.
  await a.getByRole('button', { name: 'Add apple' }).click();
  await expect(a.getByTestId('cart-apple')).toHaveText('Apple × 1');
  await signOut(a);
  await expect(a.getByTestId('signed-out-reason')).toHaveAttribute('data-reason', 'here');

  // As a guest: an apple and a pear; signing in merges them, and says what merged.
  await a.getByRole('button', { name: 'Add apple' }).click();
  await a.getByRole('button', { name: 'Add pear' }).click();
  await expect(a.getByTestId('cart-pear')).toHaveText('Pear × 1');
  await signIn(a);
  await expect(a.getByTestId('cart-apple')).toHaveText('Apple × 2');
  await expect(a.getByTestId('cart-pear')).toHaveText('Pear × 1');
  await expect(a.getByTestId('merge-note')).toHaveText(
    'Your guest cart was merged into your cart. Apple: your 1 + 1 from the guest cart = 2; Pear × 1 moved over.',
  );

  // DPoP-bound tokens: the provider said so, the page says so, the app API checked the proof.
  await expect(a.getByTestId('token-type')).toHaveText('DPoP');
  const signedIn = await tokens();
  expect(signedIn.tokenType).toBe('DPoP');
  const firstExpiry = Number(await a.getByTestId('token-expires-at').getAttribute('data-at'));
  const refreshed = a.waitForResponse(
    (response) => response.url() === `${PROVIDER}/token` && response.status() === 200,
  );
  await a.getByRole('button', { name: 'Force refresh' }).click();
  await (await refreshed).finished();
  await expect(a.getByTestId('token-refreshes')).toHaveText('1');
  const { refreshToken, count } = await tokens();
  expect(count).toBeGreaterThan(signedIn.count); // the refresh's answer, not the sign-in's
  expect(refreshToken).not.toBe(signedIn.refreshToken);
  await expect
    .poll(async () => Number(await a.getByTestId('token-expires-at').getAttribute('data-at')))
    .toBeGreaterThan(firstExpiry);
  await a.getByRole('button', { name: 'Call /api/me' }).click();
  await expect(a.getByTestId('me-result')).toHaveText(
    '/api/me: HTTP 200: Alice Example (DPoP token, proof checked)',
  );

  // The inspector: the DPoP private key and the device key are non-extractable CryptoKeys (their
  // `extractable` flag as read back from IndexedDB); no user field or cart item in the clear.
  const inspector = a.getByTestId('inspector');
  await a.getByRole('button', { name: 'Reload' }).click();
  await expect(inspector).toContainText('DPoP key pair: private ECDSA key, extractable: false');
  await expect(inspector).toContainText('secret AES-GCM key, extractable: false');
  await expect(inspector).toContainText('strata-demo:auth:tokens:refresh');
  // What the SDK's own record decoder reads of a sealed record: its size and expiry, no value.
  await expect(inspector).toContainText(/\d+ chars of ciphertext/);
  await expect(inspector).toContainText(/expires in \d+ (s|min|h|d), sliding/);
  const raw = await inspector.textContent();
  for (const plain of ['alice@example.com', 'Alice Example', 'Pear', refreshToken ?? '?'])
    expect(raw).not.toContain(plain);
  await a.screenshot({ path: `${SHOTS}/demo-1440.png`, fullPage: true });
  await a.setViewportSize({ width: 375, height: 812 });
  // No horizontal scrolling at 375 px: every card fits; the inspector folds its legend.
  expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  const inspectorCard = a.locator('section', { has: inspector });
  await expect(inspectorCard.locator('details.legend')).not.toHaveAttribute('open');
  const height = await inspectorCard.evaluate((card) => card.getBoundingClientRect().height);
  expect(height).toBeLessThan(1200); // 1,044 px with this run's 15 entries (it was 1,540)
  await a.screenshot({ path: `${SHOTS}/demo-375.png`, fullPage: true });
  await a.setViewportSize({ width: 1440, height: 900 });

  // A second tab is signed in too and sees the same cart.
  const b = await context.newPage();
  await b.setViewportSize({ width: 1440, height: 900 });
  await openDemo(b, problems);
  await expect(status(b)).toHaveAttribute('data-status', 'authenticated');
  await expect(b.getByTestId('cart-apple')).toHaveText('Apple × 2');

  // Signing out in one tab signs out the other, which says why; the provider revoked the grant.
  expect(refreshToken).toBeDefined();
  expect(await active(refreshToken!)).toBe(true);
  await signOut(a);
  await expect(status(b)).toHaveAttribute('data-status', 'unauthenticated');
  await expect(b.getByTestId('signed-out-reason')).toHaveText(
    'You were signed out in another tab: its sign-out reached this one.',
  );
  await expect.poll(() => active(refreshToken!)).toBe(false);
  await b.screenshot({ path: `${SHOTS}/other-tab-signed-out.png`, fullPage: true });

  expect(problems).toEqual([]);
});

test('a reload keeps a remembered session; a session without remember me ends when the browser closes (Chromium only, with the demo above)', async () => {
  // "The browser session ends" is a real browser restart on a profile kept on disk: localStorage,
  // IndexedDB (with the non-extractable keys) and persistent cookies survive; sessionStorage and
  // session cookies (where AuthSession records a non-remembered sign-in's browser session) do not.
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
    await expect(
      page.getByRole('button', { name: 'Sign in with the demo provider' }),
    ).toBeVisible();
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
  expect(problems).toEqual([]);
});
