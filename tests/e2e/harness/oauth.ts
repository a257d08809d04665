// The OAuth harness page (/oauth.html): one tab of an app that signs in with OAuthClient at
// oidc-provider and keeps its session in AuthSession over a TokenManager. The multi-tab specs
// (tests/e2e/oauth-*.spec.ts) drive it through `window.app`; what they read back names no token:
// tokens cross to the test process only as short SHA-256 digests.
import { AuthSession, Strata, TokenManager, type StrataError } from 'strata-storage';
import { OAuthClient } from 'strata-storage/oauth';

/** What a spec starts a tab with. */
export interface AppConfig {
  namespace: string;
  issuer: string;
  /** The client that signs in. */
  clientId: string;
  /** The client the TokenManager refreshes as (default `clientId`): an unknown one is a client fault. */
  refreshClientId?: string;
  scope: string;
  /** Proactive refresh (`tokens.start()`). */
  proactive: boolean;
  /** DPoP-bound tokens (`OAuthClient` `dpop: true`). */
  dpop?: boolean;
}

/** One answer of the resource server, as a tab saw it. */
export interface Call {
  status: number;
}

const digest = async (token: string | null | undefined): Promise<string | null> => {
  if (typeof token !== 'string') return null;
  const bytes = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)),
  );
  return Array.from(bytes.slice(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join('');
};

let skew = 0;
const clock = () => Date.now() + skew;
let signInClient: OAuthClient;
let strata: Strata;
let tokens: TokenManager;
let auth: AuthSession;
let issuer = '';
const events: Array<{ type: string; reason?: string; by?: string; code?: string }> = [];
const calls: Call[] = [];
let load: { stop: boolean; done: Promise<void> } | undefined;

const app = {
  /** Opens the app in this tab: Strata (localStorage, encrypted, synced), TokenManager, AuthSession. */
  async start(config: AppConfig): Promise<string> {
    issuer = config.issuer;
    strata = new Strata({
      namespace: config.namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      sync: { enabled: true },
      clock,
    });
    await strata.ready();
    const client = (clientId: string) =>
      new OAuthClient({
        issuer: config.issuer,
        clientId,
        scope: config.scope,
        redirectUri: `${location.origin}/callback`,
        storage: strata,
        dpop: config.dpop === true,
      });
    signInClient = client(config.clientId);
    tokens = new TokenManager({
      storage: strata,
      oauth: client(config.refreshClientId ?? config.clientId),
      clock,
      proactive: config.proactive,
    });
    tokens.on('refreshed', ({ by }) => events.push({ type: 'refreshed', by }));
    tokens.on('cleared', ({ reason }) => events.push({ type: 'cleared', reason }));
    tokens.on('refreshFailed', ({ error }) =>
      events.push({ type: 'refreshFailed', code: error.code }),
    );
    auth = new AuthSession({ storage: strata, tokens, clock });
    const state = await auth.initialize();
    if (config.proactive) tokens.start();
    return state.status;
  },
  /** The authorization URL of a new sign-in (PKCE, state, nonce kept in this tab's storage). */
  authorizationUrl: () => signInClient.authorizationUrl(),
  /** Completes the sign-in from the provider's redirect; resolves with the session's userId. */
  async completeSignIn(callback: string): Promise<string> {
    const session = await auth.loginFromCallback(await signInClient.handleCallback(callback));
    return session.userId;
  },
  /** Moves this tab's clock (the SDK's expiry math) by `ms` from real time. */
  setSkew(ms: number): void {
    skew = ms;
  },
  /** `count` concurrent `getAccessToken()`: their digests (`null` for none), or the error code. */
  async accessTokens(count: number): Promise<Array<string | null>> {
    const all = await Promise.all(Array.from({ length: count }, () => tokens.getAccessToken()));
    return Promise.all(all.map(digest));
  },
  /** The error code `getAccessToken()` rejects with, `null` when it resolves. */
  accessTokenError: () =>
    tokens.getAccessToken().then(
      () => null,
      (error: StrataError) => error.code ?? String(error),
    ),
  /** `count` concurrent `tokens.fetch(url)`: their HTTP statuses. */
  fetchAll: (url: string, count: number): Promise<number[]> =>
    Promise.all(Array.from({ length: count }, async () => (await tokens.fetch(url)).status)),
  /** One call of `url` with `Authorization: Bearer <getAccessToken()>`, no retry: its status. */
  async probe(url: string): Promise<number> {
    const access = await tokens.getAccessToken();
    return (await fetch(url, { headers: { Authorization: `Bearer ${access}` } })).status;
  },
  /** {@link probe} every `everyMs` (a 401 is recorded as such) until {@link stopCalling}. */
  startCalling(url: string, everyMs: number): void {
    const running = { stop: false, done: Promise.resolve() };
    running.done = (async () => {
      while (!running.stop) {
        calls.push({ status: await app.probe(url) });
        await new Promise((resolve) => setTimeout(resolve, everyMs)); // the load's pace
      }
    })();
    load = running;
  },
  /**
   * Has the resource server at `rsUrl` refuse the access token held now (by its `jti`, which
   * is not a secret) while the SDK still counts it valid.
   */
  async refuseAtResource(rsUrl: string): Promise<void> {
    const held = (await tokens.getTokens())?.accessToken ?? '';
    const payload = held.split('.')[1] ?? '';
    const { jti } = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as {
      jti?: string;
    };
    await fetch(`${rsUrl}test/refuse`, { method: 'POST', body: JSON.stringify({ jti }) });
  },
  /**
   * Whether this tab's storage still gives the access record (any read of it drops it once its
   * TTL ran out by the page's own clock, as a refresh's read under the lock does).
   */
  storedAccess: async () => (await strata.get('auth:tokens:access')) !== null,
  /** Stops proactive refresh. */
  stopRefreshing: () => tokens.stop(),
  async stopCalling(): Promise<Call[]> {
    if (load) {
      load.stop = true;
      await load.done;
    }
    return calls.splice(0);
  },
  events: () => events.slice(),
  state: () => {
    const { status, session, error } = auth.getState();
    return { status, userId: session?.userId ?? null, error: error?.code ?? null };
  },
  /** Whether tokens are held: `refresh` when a refresh token is among them. */
  async held(): Promise<{ access: boolean; refresh: boolean }> {
    const held = await tokens.getTokens();
    return { access: held?.accessToken !== undefined, refresh: held?.refreshToken !== undefined };
  },
  /** The grant of the refresh token held, as the provider names it (not a token). */
  async grantId(): Promise<string> {
    const refreshToken = (await tokens.getTokens())?.refreshToken ?? '';
    const response = await fetch(`${issuer}/test/grant-stats`, {
      method: 'POST',
      body: JSON.stringify({ token: refreshToken }),
    });
    return ((await response.json()) as { grantId: string }).grantId;
  },
  /** Remembers the refresh token held now, for {@link introspectKept} after it is gone here. */
  async keepRefreshToken(): Promise<void> {
    kept = (await tokens.getTokens())?.refreshToken;
  },
  /** Remembers the access token held now, for {@link callKept} after it is gone here. */
  async keepAccessToken(): Promise<void> {
    keptAccess = (await tokens.getTokens())?.accessToken;
  },
  /**
   * `OAuthClient.resourceFetch(url)` with the access token kept (with DPoP, a proof by the key
   * pair this tab holds): its HTTP status, or the error code it rejects with.
   */
  callKept: (url: string): Promise<number | string> =>
    signInClient.resourceFetch(keptAccess ?? '', url).then(
      (response) => response.status,
      (error: StrataError) => error.code ?? String(error),
    ),
  /** RFC 7662 introspection (from the provider's side) of the refresh token kept: `active`. */
  async introspectKept(): Promise<boolean> {
    const response = await fetch(`${issuer}/test/introspect`, {
      method: 'POST',
      body: JSON.stringify({ token: kept ?? '' }),
    });
    return ((await response.json()) as { active: boolean }).active;
  },
  /** Revokes the refresh token held at the provider behind the TokenManager's back (RFC 7009). */
  async revokeBehindTheBack(): Promise<void> {
    await signInClient.revoke((await tokens.getTokens())?.refreshToken ?? '');
  },
  logout: () => auth.logout(),
  getSession: async () => (await auth.getSession())?.userId ?? null,
};
let kept: string | undefined;
let keptAccess: string | undefined;

declare global {
  interface Window {
    app: typeof app;
  }
}

window.app = app;
document.getElementById('status')!.textContent = 'ready';
