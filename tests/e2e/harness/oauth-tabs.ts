// Node side of the multi-tab OAuth specs: opens app tabs (tests/e2e/harness/oauth.html), signs
// in at oidc-provider as the user would (its prompts answered by the provider setup's
// /test/authorize, see tests/setup/oidc-provider.global.ts), and reads the provider's own
// counts of each grant's refreshes and refused reuses.
import { expect, expectText, type Tab, type Tabs } from '../tabs.js';
import type { AppConfig } from './oauth.js';

/** The provider and resource server started by tests/e2e/harness/oauth-provider.global.ts. */
export const issuer = process.env.STRATA_E2E_OIDC_ISSUER ?? '';
export const resourceServer = process.env.STRATA_E2E_OIDC_RS ?? '';
export const apiMe = `${resourceServer}api/me`;
export const SCOPE = 'openid offline_access api:read';
export const CLIENT_ID = 'strata-spa';
/** Its access tokens live 6 s (the setup's `shortAccessTtl`). */
export const SHORT_CLIENT_ID = 'strata-spa-short';
/** Its tokens are DPoP-bound (and its token requests need a DPoP nonce). */
export const DPOP_CLIENT_ID = 'strata-spa-dpop';
export const SHORT_TTL_MS = 6_000;

/** Opens `count` app tabs of one namespace, each started with `config`. */
export async function openApp(
  context: Tabs,
  count: number,
  config: Omit<AppConfig, 'issuer' | 'scope'> & { scope?: string },
): Promise<Tab[]> {
  expect(issuer, 'the OAuth globalSetup ran').not.toBe('');
  const tabs: Tab[] = [];
  for (let i = 0; i < count; i++) {
    const tab = await context.newTab();
    await tab.goto('/oauth.html');
    await expectText(tab, '#status', 'ready');
    const status = await tab.evaluate((config) => window.app.start(config), {
      scope: SCOPE,
      issuer,
      ...config,
    });
    expect(status).toBe('unauthenticated');
    tabs.push(tab);
  }
  return tabs;
}

/**
 * Signs in from `tab`: its authorization URL, the provider's login (alice / password) and consent
 * prompts, then `AuthSession.loginFromCallback` with the callback's tokens and claims.
 */
export async function signIn(tab: Tab): Promise<void> {
  const url = await tab.evaluate(() => window.app.authorizationUrl());
  const response = await fetch(`${issuer}/test/authorize`, {
    method: 'POST',
    body: JSON.stringify({ url, login: 'alice', password: 'password' }),
  });
  const { callback } = (await response.json()) as { callback?: string };
  expect(callback, 'the provider redirected back').toBeDefined();
  expect(await tab.evaluate((callback) => window.app.completeSignIn(callback), callback!)).toBe(
    'alice',
  );
}

/** The provider's counts for `grantId`: refresh grants answered, reuses refused, error codes. */
export async function grantStats(
  grantId: string,
): Promise<{ refreshes: number; reuse: number; errors: Record<string, number> }> {
  const response = await fetch(`${issuer}/test/grant-stats`, {
    method: 'POST',
    body: JSON.stringify({ grantId }),
  });
  expect(response.status).toBe(200);
  return response.json();
}

/** Every tab's auth state, polled until each is `expected` (status and error code). */
export async function expectStates(
  tabs: Tab[],
  expected: { status: string; error?: string | null },
): Promise<void> {
  for (const tab of tabs)
    await expect
      .poll(() => tab.evaluate(() => window.app.state()))
      .toMatchObject({ error: null, ...expected });
}

/** Sets every tab's clock `ms` from real time. */
export const setSkew = (tabs: Tab[], ms: number) =>
  Promise.all(tabs.map((tab) => tab.evaluate((ms) => window.app.setSkew(ms), ms)));
