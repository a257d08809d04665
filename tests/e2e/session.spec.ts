import { expect, test, type Tab, openTabs, uniqueNamespace } from './tabs.js';

// Sessions across real tabs against the reference auth server (proxied as /api by the
// harness). The test process reads the server's per-user counters directly.
const AUTH = `http://127.0.0.1:${process.env.STRATA_E2E_AUTH_PORT ?? 5184}`;
const HOUR = 60 * 60 * 1000;

const uniqueUser = (label: string) =>
  `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const stats = async (username: string) =>
  (
    await fetch(`${AUTH}/api/test/stats?username=${encodeURIComponent(username)}`)
  ).json() as Promise<Record<string, number>>;
const control = (path: string, body: unknown) =>
  fetch(`${AUTH}/api/test/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

/**
 * Starts in the tab a Strata (localStorage, encrypted, synced), a TokenManager and an
 * AuthSession on them, as `t.strata`, `t.tokens`, `t.auth`; `t.skew` moves its clock.
 * Records auth states in `t.states` and token events in `t.events`.
 */
async function startSession(page: Tab, namespace: string): Promise<void> {
  await page.evaluate(async (namespace) => {
    const { S, t } = window as unknown as { S: typeof window.S; t: Record<string, any> };
    t.skew = 0;
    t.states = [];
    t.events = [];
    const clock = () => Date.now() + (t.skew as number);
    const storage = new S.Strata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      sync: { enabled: true },
      clock,
    });
    await storage.ready();
    const tokens = new S.TokenManager({
      storage,
      refresh: S.httpRefresh('/api/auth/refresh'),
      clock,
    });
    for (const type of ['refreshed', 'refreshFailed', 'expired', 'cleared'] as const)
      tokens.on(type, (payload) =>
        t.events.push({ type, payload: JSON.parse(JSON.stringify(payload)) }),
      );
    const auth = new S.AuthSession({
      storage,
      tokens,
      restore: S.httpRestore('/api/auth/refresh'),
      clock,
    });
    auth.subscribe((state) => t.states.push(state.status));
    await auth.initialize();
    Object.assign(t, { strata: storage, tokens, auth });
  }, namespace);
}

/** Signs in through the server from the tab and hands the answer to AuthSession.login. */
async function signIn(
  page: Tab,
  username: string,
  options: { rememberMe?: boolean; accessTtl?: number } = {},
): Promise<void> {
  await page.evaluate(
    async ({ username, options }) => {
      const t = window.t as Record<string, any>;
      const response = await fetch('/api/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password: 'password', ...options }),
      });
      const { user, tokens } = await response.json();
      await t.auth.login(
        { ...user, userId: user.id },
        { rememberMe: options.rememberMe ?? false, tokens },
      );
    },
    { username, options },
  );
}

const status = (page: Tab) =>
  page.evaluate(() => (window.t as Record<string, any>).auth.getState().status as string);
const accessToken = (page: Tab) =>
  page.evaluate(
    () => (window.t as Record<string, any>).tokens.getAccessToken() as Promise<string | null>,
  );
const setSkew = (pages: Tab[], skew: number) =>
  Promise.all(
    pages.map((page) =>
      page.evaluate((skew) => ((window.t as Record<string, any>).skew = skew), skew),
    ),
  );

test('three tabs × fifty concurrent getAccessToken() on an expired token make exactly one refresh request', async ({
  tabs: context,
}) => {
  const tabs = await openTabs(context, 3);
  const namespace = uniqueNamespace('flight');
  const user = uniqueUser('flight');
  for (const tab of tabs) await startSession(tab, namespace);
  await signIn(tabs[0]!, user);
  const issued = await accessToken(tabs[0]!);
  await control('refresh-delay', { username: user, ms: 300 });
  await setSkew(tabs, 2 * HOUR); // every tab now believes the token expired
  const results = await Promise.all(
    tabs.map((tab) =>
      tab.evaluate(() =>
        Promise.all(
          Array.from(
            { length: 50 },
            () => (window.t as Record<string, any>).tokens.getAccessToken() as Promise<string>,
          ),
        ),
      ),
    ),
  );
  const all = results.flat();
  expect(all).toHaveLength(150);
  expect(new Set(all).size).toBe(1);
  expect(all[0]).not.toBe(issued);
  expect(await stats(user)).toMatchObject({ refreshRequests: 1, refreshes: 1, reuseDetected: 0 });
  // One tab (whichever won the lock) refreshed; the others learned of it as done elsewhere.
  const by = (
    await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(() =>
          (
            (window.t as Record<string, any>).events as Array<{
              type: string;
              payload: { by?: string };
            }>
          )
            .filter((e) => e.type === 'refreshed')
            .map((e) => e.payload.by),
        ),
      ),
    )
  ).flat();
  expect(by.filter((b) => b === 'this-tab')).toHaveLength(1);
  // And the new token works against the API from every tab.
  for (const tab of tabs)
    expect(
      await tab.evaluate(
        async () => (await (window.t as Record<string, any>).tokens.fetch('/api/me')).status,
      ),
    ).toBe(200);
});

test('proactive refresh in three tabs refreshes once per token lifetime, never spending a token twice', async ({
  tabs: context,
}) => {
  const tabs = await openTabs(context, 3);
  const namespace = uniqueNamespace('proactive');
  const user = uniqueUser('proactive');
  for (const tab of tabs) await startSession(tab, namespace);
  await signIn(tabs[0]!, user, { accessTtl: 3 });
  await Promise.all(
    tabs.map((tab) => tab.evaluate(() => (window.t as Record<string, any>).tokens.start())),
  );
  await expect
    .poll(async () => (await stats(user)).refreshes, { timeout: 15_000 })
    .toBeGreaterThanOrEqual(3);
  await Promise.all(
    tabs.map((tab) => tab.evaluate(() => (window.t as Record<string, any>).tokens.stop())),
  );
  const counters = await stats(user);
  expect(counters.reuseDetected).toBe(0);
  expect(counters.refreshRequests).toBe(counters.refreshes);
  // 3-second tokens refreshed 0.75 s before expiry: about one refresh each 2.25 s, not one per tab.
  const tokens = await Promise.all(tabs.map(accessToken));
  expect(new Set(tokens).size).toBe(1);
});

test('an invalid grant in one tab signs out every tab', async ({ tabs: context }) => {
  const tabs = await openTabs(context, 3);
  const namespace = uniqueNamespace('grant');
  const user = uniqueUser('grant');
  for (const tab of tabs) await startSession(tab, namespace);
  await signIn(tabs[0]!, user);
  for (const tab of tabs) await expect.poll(() => status(tab)).toBe('authenticated');
  await control('revoke', { username: user });
  const failure = await tabs[1]!.evaluate(() =>
    (window.t as Record<string, any>).tokens.refresh({ force: true }).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    ),
  );
  expect(failure).toBe('INVALID_GRANT');
  for (const tab of tabs) {
    await expect.poll(() => status(tab)).toBe('unauthenticated');
    expect(await accessToken(tab)).toBeNull();
  }
  expect((await stats(user)).reuseDetected).toBe(0);
});

test('logout in one tab signs out the others', async ({ tabs: context }) => {
  const tabs = await openTabs(context, 3);
  const namespace = uniqueNamespace('logout');
  const user = uniqueUser('logout');
  for (const tab of tabs) await startSession(tab, namespace);
  await signIn(tabs[2]!, user, { rememberMe: true });
  for (const tab of tabs) await expect.poll(() => status(tab)).toBe('authenticated');
  await tabs[0]!.evaluate(() => (window.t as Record<string, any>).auth.logout());
  for (const tab of tabs) {
    await expect.poll(() => status(tab)).toBe('unauthenticated');
    expect(
      await tab.evaluate(() => (window.t as Record<string, any>).auth.getSession()),
    ).toBeNull();
    expect(await accessToken(tab)).toBeNull();
  }
  for (const tab of tabs)
    expect(await tab.evaluate(() => (window.t as Record<string, any>).strata.keys())).toEqual([]);
});

test('a session that expired is restored from the refresh token once, for all tabs at the same time', async ({
  tabs: context,
}) => {
  const tabs = await openTabs(context, 3);
  const namespace = uniqueNamespace('restore');
  const user = uniqueUser('restore');
  for (const tab of tabs) await startSession(tab, namespace);
  await signIn(tabs[0]!, user, { rememberMe: true });
  // The session record goes away (as when its TTL ran out) while the refresh token stays.
  await tabs[0]!.evaluate(() => (window.t as Record<string, any>).strata.remove('auth-session'));
  for (const tab of tabs) await expect.poll(() => status(tab)).toBe('unauthenticated');
  await control('refresh-delay', { username: user, ms: 200 });
  const restored = await Promise.all(
    tabs.map((tab) =>
      tab.evaluate(
        async () =>
          ((await (window.t as Record<string, any>).auth.getSession()) as { name?: string } | null)
            ?.name ?? null,
      ),
    ),
  );
  expect(restored).toEqual([user, user, user]);
  expect(await stats(user)).toMatchObject({ refreshRequests: 1, reuseDetected: 0 });
  for (const tab of tabs) await expect.poll(() => status(tab)).toBe('authenticated');
});

test('a restore refused by the device fingerprint stays signed out and spends no token', async ({
  tabs: context,
}) => {
  const [tab] = await openTabs(context, 1);
  const namespace = uniqueNamespace('fingerprint');
  const user = uniqueUser('fingerprint');
  await startSession(tab!, namespace);
  await signIn(tab!, user, { rememberMe: true });
  const restored = await tab!.evaluate(async () => {
    const t = window.t as Record<string, any>;
    const guarded = new window.S.AuthSession({
      storage: t.strata,
      tokens: t.tokens,
      restore: window.S.httpRestore('/api/auth/refresh'),
      fingerprint: { create: async () => 'fp', validate: async () => false },
    });
    await t.strata.remove('auth-session');
    return guarded.getSession();
  });
  expect(restored).toBeNull();
  expect((await stats(user)).refreshRequests).toBe(0);
});
