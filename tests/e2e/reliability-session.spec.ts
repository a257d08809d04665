import { expect, openTabs, test, uniqueNamespace, type Tab, type Tabs } from './tabs.js';

// Issue 17, items 4–6, across real pages against the reference auth server (the harness
// proxies /api to it). Each page holds `t.tokens` (TokenManager) and `t.auth` (AuthSession)
// on one synced, encrypted localStorage namespace. A page's server calls can be held at a
// gate (`t.hold(name)` arms it, `t.release(name)` lets the call go) so a test decides
// exactly when another page acts while a call is in flight.
const AUTH = `http://127.0.0.1:${process.env.STRATA_E2E_AUTH_PORT ?? 5184}`;

const newUser = (label: string) => `${label}-${Date.now().toString(36)}-${crypto.randomUUID()}`;
const counters = async (username: string): Promise<Record<string, number>> =>
  (await fetch(`${AUTH}/api/test/stats?username=${encodeURIComponent(username)}`)).json();

type Page = Record<string, any>;

/** Starts the page's session objects; its refresh and restore calls pass through gates. */
async function startPage(page: Tab, namespace: string): Promise<void> {
  await page.evaluate(async (namespace) => {
    const { S } = window;
    const t = window.t as Page;
    const gates = new Map<string, { sent: boolean; open: Promise<void>; go: () => void }>();
    t.hold = (name: string) => {
      let go = () => {};
      const open = new Promise<void>((resolve) => (go = resolve));
      gates.set(name, { sent: false, open, go });
    };
    t.sent = (name: string) => gates.get(name)?.sent === true;
    t.release = (name: string) => gates.get(name)?.go();
    // A call's outcome, kept as it settles (a rejection nobody awaited yet is not uncaught).
    t.settled = (promise: Promise<unknown>) =>
      promise.then(
        (value) => ({ resolved: value }),
        (error: { code?: string }) => ({ rejected: error.code ?? String(error) }),
      );
    const gated =
      <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const gate = gates.get(name);
        if (gate && !gate.sent) {
          gate.sent = true;
          await gate.open;
        }
        return call(...args);
      };
    const storage = new S.Strata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    await storage.ready();
    const tokens = new S.TokenManager({
      storage,
      refresh: gated('refresh', S.httpRefresh('/api/auth/refresh')),
      proactive: false,
    });
    t.heard = [];
    tokens.on('refreshed', ({ by }) => (t.heard as string[]).push(by));
    const auth = new S.AuthSession({
      storage,
      tokens,
      restore: gated('restore', S.httpRestore('/api/auth/refresh')),
      browserSession: () => 'one-browser-session',
    });
    await auth.initialize();
    Object.assign(t, { storage, tokens, auth, gated });
  }, namespace);
}

/** Signs `username` in from `page` (server login, then AuthSession.login). */
const signIn = (page: Tab, username: string) =>
  page.evaluate(async (username) => {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: 'password' }),
    });
    const { user, tokens } = await response.json();
    await (window.t as Page).auth.login({ ...user, userId: user.id }, { tokens });
  }, username);

/** The outcome of the promise the page left in `t[name]` through `t.settled`. */
const outcome = (page: Tab, name: string) =>
  page.evaluate((name) => (window.t as Page)[name], name);

/** Two pages on one fresh namespace, signed in as a new user from the first. */
async function signedInPair(context: Tabs, label: string) {
  const [a, b] = (await openTabs(context, 2)) as [Tab, Tab];
  const namespace = uniqueNamespace(label);
  const user = newUser(label);
  await startPage(a, namespace);
  await startPage(b, namespace);
  await signIn(a, user);
  return { a, b, user };
}

/**
 * Starts tab B's `call` (its server request held at the gate of that name, the promise left in
 * `t.inFlight`), signs tab A out while it is held (`t.signingOut`), then lets it go.
 */
async function signOutDuring(a: Tab, b: Tab, call: 'refresh' | 'restore'): Promise<void> {
  await b.evaluate((call) => {
    const t = window.t as Page;
    t.hold(call);
    t.inFlight = t.settled(
      call === 'refresh' ? t.tokens.refresh({ force: true }) : t.auth.getSession(),
    );
  }, call);
  await expect.poll(() => b.evaluate((call) => (window.t as Page).sent(call), call)).toBe(true);
  await a.evaluate(() => {
    const t = window.t as Page;
    t.signingOut = t.settled(t.auth.logout());
  });
  await b.evaluate((call) => (window.t as Page).release(call), call);
}

const tokenStatus = (page: Tab) =>
  page.evaluate(() => {
    const { isValid, expiresAt, lastRefreshAt } = (window.t as Page).tokens.status();
    return { isValid, expiresAt, lastRefreshAt } as Record<string, unknown>;
  });

test('three tabs, each refreshing in turn: every tab hears every refresh (who made it included) and shows the new expiry', async ({
  tabs: context,
}) => {
  const pages = await openTabs(context, 3);
  const namespace = uniqueNamespace('hear-all');
  const user = newUser('hear-all');
  for (const page of pages) await startPage(page, namespace);
  await signIn(pages[0]!, user);
  for (const [index, page] of pages.entries()) {
    const fresh = await page.evaluate(async () => {
      const { expiresAt, lastRefreshAt } = await (window.t as Page).tokens.refresh({ force: true });
      return { isValid: true, expiresAt, lastRefreshAt };
    });
    for (const other of pages) {
      await expect
        .poll(() => other.evaluate(() => (window.t as Page).heard.length))
        .toBe(index + 1);
      await expect.poll(() => tokenStatus(other)).toEqual(fresh);
    }
  }
  const heard = await Promise.all(
    pages.map((page) => page.evaluate(() => (window.t as Page).heard)),
  );
  expect(heard).toEqual([
    ['this-tab', 'other-tab', 'other-tab'],
    ['other-tab', 'this-tab', 'other-tab'],
    ['other-tab', 'other-tab', 'this-tab'],
  ]);
  expect(await counters(user)).toMatchObject({ refreshes: 3, reuseDetected: 0 });
});

test("a refresh in tab B voided by tab A's sign-out rejects with NOT_AUTHENTICATED, and tab B holds no token", async ({
  tabs: context,
}) => {
  const { a, b, user } = await signedInPair(context, 'void-refresh');
  await expect.poll(() => tokenStatus(b)).toMatchObject({ isValid: true });
  await signOutDuring(a, b, 'refresh');
  expect(await outcome(b, 'inFlight')).toEqual({ rejected: 'NOT_AUTHENTICATED' });
  expect(await outcome(a, 'signingOut')).toEqual({ resolved: undefined });
  for (const page of [a, b]) {
    await expect.poll(() => tokenStatus(page)).toMatchObject({ isValid: false });
    expect(await page.evaluate(() => (window.t as Page).tokens.getAccessToken())).toBeNull();
    expect(await page.evaluate(() => (window.t as Page).storage.keys('auth'))).toEqual([]);
  }
  expect((await counters(user)).reuseDetected).toBe(0);
});

test("a restore in tab B voided by tab A's sign-out resolves null and leaves tab B signed out", async ({
  tabs: context,
}) => {
  const { a, b } = await signedInPair(context, 'void-restore');
  // The session record goes (as when its TTL ran out); the refresh token stays: B restores.
  await a.evaluate(() => (window.t as Page).storage.remove('auth-session'));
  // B restores only once it sees the removal (its read cache hears of it over the channel).
  await expect
    .poll(() => b.evaluate(() => (window.t as Page).storage.get('auth-session')))
    .toBeNull();
  await signOutDuring(a, b, 'restore');
  expect(await outcome(b, 'inFlight')).toEqual({ resolved: null });
  await outcome(a, 'signingOut');
  expect(await b.evaluate(() => (window.t as Page).auth.getSession())).toBeNull();
  expect(await b.evaluate(() => (window.t as Page).auth.getState().status)).toBe('unauthenticated');
  expect(await b.evaluate(() => (window.t as Page).storage.keys('auth'))).toEqual([]);
});

test('ServerSyncedSession: a sync overtaken by a revoke is skipped, and a syncNow() after the revoke, with tab B signed in again, starts a new sync that lands', async ({
  tabs: context,
}) => {
  const { a, b, user } = await signedInPair(context, 'synced');
  await a.evaluate(async () => {
    const t = window.t as Page;
    const synced = new window.S.ServerSyncedSession({
      storage: t.storage,
      tokens: t.tokens,
      fetch: t.gated('sync', (input: RequestInfo | URL, init?: RequestInit) =>
        t.tokens.fetch(input, init),
      ),
    });
    t.syncedEvents = 0;
    synced.on('synced', () => t.syncedEvents++);
    await synced.set({ ui: { theme: 'dark' } });
    t.hold('sync');
    t.firstCall = synced.syncNow();
    t.first = t.settled(t.firstCall);
    t.synced = synced;
  });
  await expect.poll(() => a.evaluate(() => (window.t as Page).sent('sync'))).toBe(true);
  await a.evaluate(() => (window.t as Page).tokens.clear()); // the revoke, while the sync waits
  await signIn(b, user); // signed in again, in the other tab
  await expect.poll(() => tokenStatus(a)).toMatchObject({ isValid: true });
  const second = await a.evaluate(async () => {
    const t = window.t as Page;
    const again = t.synced.syncNow();
    t.joined = again === t.firstCall;
    return again;
  });
  expect(await a.evaluate(() => (window.t as Page).joined)).toBe(false);
  expect(second).toMatchObject({
    status: 'synced',
    session: { ui: { theme: 'dark' }, user: { name: user } },
  });
  await a.evaluate(() => (window.t as Page).release('sync'));
  expect(await outcome(a, 'first')).toEqual({ resolved: { status: 'skipped' } });
  // The overtaken answer stored nothing: the session is the new sync's.
  expect(await a.evaluate(() => (window.t as Page).synced.get())).toEqual(second.session);
  expect(await a.evaluate(() => (window.t as Page).syncedEvents)).toBe(1);
  expect(await counters(user)).toMatchObject({ syncRequests: 2 });
});
