import { afterEach, describe, expect, it } from 'vitest';
import {
  AuthSession,
  Strata,
  TokenManager,
  type AuthSessionOptions,
  type SessionUser,
} from 'strata-storage';
import type { OAuthClient } from 'strata-storage/oauth';
import { makeStrata } from '../helpers.js';
import { expectStrataError, introspect, issuer, oauthClient, signIn } from './helpers.js';

// AuthSession over an OAuthClient at oidc-provider: sign-in from handleCallback's claims, and the
// restore of an ended session by a refresh whose id_token names the user.
const DAY = 24 * 60 * 60 * 1000;
let skew = 0;
const clock = () => Date.now() + skew;
const opened: Array<{ strata: Strata; tokens: TokenManager; auth: AuthSession }> = [];
afterEach(async () => {
  skew = 0;
  for (const { strata, tokens, auth } of opened.splice(0)) {
    auth.dispose();
    tokens.dispose();
    await strata.close();
  }
});

/** The app's claim mapping of these tests: alice is an admin. */
const userFromClaims = (claims: Record<string, unknown>): SessionUser => ({
  userId: String(claims.sub),
  roles: claims.sub === 'alice' ? ['admin'] : [],
  permissions: ['api:read'],
});

/** One tab of the app: a Strata of `namespace`, a TokenManager on `client(strata)`, an AuthSession. */
async function app(
  namespace: string | undefined,
  client: (strata: Strata) => OAuthClient = (strata) => oauthClient(strata),
  options: Pick<AuthSessionOptions, 'userFromClaims' | 'fingerprint'> = { userFromClaims },
) {
  const { strata } = makeStrata({
    ...(namespace === undefined ? {} : { namespace }),
    defaultStorage: 'localStorage',
    encryption: { enabled: true },
    sync: { enabled: true },
  });
  await strata.ready();
  const oauth = client(strata);
  const tokens = new TokenManager({ storage: strata, oauth, proactive: false, clock });
  const auth = new AuthSession({ storage: strata, tokens, clock, ...options });
  opened.push({ strata, tokens, auth });
  return { strata, oauth, tokens, auth };
}

/** The provider's count of refresh grants of the grant `refreshToken` belongs to. */
async function refreshesOf(refreshToken: string): Promise<number> {
  const response = await fetch(`${issuer}/test/grant-stats`, {
    method: 'POST',
    body: JSON.stringify({ token: refreshToken }),
  });
  return ((await response.json()) as { refreshes: number }).refreshes;
}

describe('AuthSession with OpenID Connect', () => {
  it('loginFromCallback signs in as the user userFromClaims makes of the id_token claims', async () => {
    const { oauth, tokens, auth } = await app(undefined);
    const result = await signIn(oauth);
    expect(result.claims?.sub).toBe('alice');
    const session = await auth.loginFromCallback(result, { rememberMe: true });
    expect(session).toMatchObject({
      userId: 'alice',
      roles: ['admin'],
      permissions: ['api:read'],
      rememberMe: true,
    });
    expect(auth.getState()).toMatchObject({
      status: 'authenticated',
      session: { userId: 'alice' },
    });
    expect(await auth.hasRole('admin')).toBe(true);
    expect((await tokens.getTokens())?.refreshToken).toBe(result.tokens.refreshToken);
  });

  it('the default mapping: userId from sub, no roles or permissions the claims do not carry', async () => {
    const { oauth, auth } = await app(undefined, undefined, {});
    const session = await auth.loginFromCallback(await signIn(oauth));
    expect(session).toMatchObject({ userId: 'alice', roles: [], permissions: [] });
  });

  it('no claims (no openid scope): INVALID_OPTIONS, nothing stored', async () => {
    const { oauth, tokens, auth } = await app(undefined);
    const { tokens: issued } = await signIn(oauth);
    await expectStrataError(
      auth.loginFromCallback({ tokens: issued, claims: null }),
      'INVALID_OPTIONS',
    );
    expect(await tokens.getTokens()).toBeUndefined();
    expect(await auth.getSession()).toBeNull();
  });

  it('an ended session is restored by one refresh for two tabs, the user from its id_token', async () => {
    const first = await app(undefined);
    const signedIn = await signIn(first.oauth);
    await first.auth.loginFromCallback(signedIn);
    const second = await app(first.strata.namespace);
    skew = 2 * DAY; // the 24 h session ended in both tabs; the refresh token lives on
    const [a, b] = await Promise.all([first.auth.getSession(), second.auth.getSession()]);
    expect(a).toMatchObject({ userId: 'alice', roles: ['admin'] });
    expect(b).toMatchObject({ userId: 'alice', roles: ['admin'] });
    expect(a?.loginTime).toBe(b?.loginTime);
    expect(a?.loginTime).toBeGreaterThan(Date.now() + DAY);
    // One refresh grant at the provider (an id_token issued within the same second as the
    // sign-in's is byte for byte the same, so the count, not the token, tells).
    expect(await refreshesOf(signedIn.tokens.refreshToken ?? '')).toBe(1);
    expect((await introspect(signedIn.tokens.refreshToken ?? '')).active).toBe(false);
    expect(second.auth.getState().status).toBe('authenticated');
  });

  it('a tab that finds no session while another tab signs in waits for that sign-in: no refresh', async () => {
    let landing!: () => void;
    const gate = new Promise<void>((resolve) => (landing = resolve));
    // The first tab's sign-in stops after its tokens are stored, before its session record.
    const first = await app(undefined, undefined, {
      userFromClaims,
      fingerprint: { create: () => gate, validate: async () => true },
    });
    const second = await app(first.strata.namespace);
    const signedIn = await signIn(first.oauth);
    const signingIn = first.auth.loginFromCallback(signedIn);
    await expect.poll(async () => (await second.tokens.getTokens())?.idToken).toBeDefined();
    const restoring = second.auth.getSession();
    const restoreLock = `strata-restore:${first.strata.namespace}/auth-session`;
    await expect
      .poll(async () => (await navigator.locks.query()).pending?.map((lock) => lock.name))
      .toContain(restoreLock);
    landing();
    await signingIn;
    expect(await restoring).toMatchObject({ userId: 'alice' });
    expect(await refreshesOf(signedIn.tokens.refreshToken ?? '')).toBe(0);
  });

  it('a refresh whose id_token names another subject does not restore the session', async () => {
    const { strata } = makeStrata({ defaultStorage: 'localStorage' });
    await strata.ready();
    const jwt = (sub: string) =>
      `${btoa(JSON.stringify({ alg: 'none' }))}.${btoa(JSON.stringify({ sub }))}.`;
    const tokens = new TokenManager({
      storage: strata,
      refresh: async () => ({ accessToken: 'at-2', refreshToken: 'rt-2', idToken: jwt('mallory') }),
      proactive: false,
      clock,
    });
    const auth = new AuthSession({ storage: strata, tokens, clock });
    opened.push({ strata, tokens, auth });
    await auth.login(
      { userId: 'alice' },
      {
        tokens: { accessToken: 'at-1', refreshToken: 'rt-1', idToken: jwt('alice'), expiresIn: 60 },
      },
    );
    skew = 2 * DAY;
    expect(await auth.getSession()).toBeNull();
    expect(auth.getState().status).toBe('unauthenticated');
  });

  it('invalid_client: still signed in, the state carries CLIENT_FAULT until new tokens', async () => {
    const { strata, tokens, auth } = await app(undefined, (strata) =>
      oauthClient(strata, { clientId: 'not-registered' }),
    );
    const signer = oauthClient(strata); // the registered client signs in; refreshes go as the other
    await auth.loginFromCallback(await signIn(signer));
    skew = 2 * 60 * 60 * 1000; // the access token expired
    await expectStrataError(tokens.getAccessToken(), 'CLIENT_FAULT');
    expect(auth.getState()).toMatchObject({
      status: 'authenticated',
      error: { code: 'CLIENT_FAULT' },
    });
    expect(await auth.getSession()).toMatchObject({ userId: 'alice' });
    expect(auth.getState().error?.code).toBe('CLIENT_FAULT'); // a read does not hide it
    expect((await tokens.getTokens())?.refreshToken).toBeDefined();
    await auth.loginFromCallback(await signIn(signer));
    expect(auth.getState().error).toBeUndefined();
  });
});
