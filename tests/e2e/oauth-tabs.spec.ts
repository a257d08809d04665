import { expect, test, uniqueNamespace, type Tab } from './tabs.js';
import {
  CLIENT_ID,
  DPOP_CLIENT_ID,
  SHORT_CLIENT_ID,
  SHORT_TTL_MS,
  apiMe,
  expectStates,
  grantStats,
  openApp,
  resourceServer,
  setSkew,
  signIn,
} from './harness/oauth-tabs.js';

// Several real tabs of one app against an unmodified oidc-provider 9.13 (strict refresh-token
// rotation, no grace: a spent token refused revokes the whole grant) and a resource server that
// checks its JWT access tokens with jose. Counts are the provider's own (its grant events).
const HOUR = 60 * 60 * 1000;

test('3 tabs × 20 concurrent getAccessToken() on an expired token, 3 rounds: 1 refresh grant per round, 0 reuse, one token for every caller', async ({
  tabs: context,
}) => {
  const tabs = await openApp(context, 3, {
    namespace: uniqueNamespace('oauth-flight'),
    clientId: CLIENT_ID,
    proactive: false,
  });
  await signIn(tabs[0]!);
  await expectStates(tabs, { status: 'authenticated' });
  const grantId = await tabs[0]!.evaluate(() => window.app.grantId());
  let previous = (await tabs[0]!.evaluate(() => window.app.accessTokens(1)))[0];
  for (let round = 1; round <= 3; round++) {
    await setSkew(tabs, round * 2 * HOUR); // to every tab the access token expired
    const perTab = await Promise.all(
      tabs.map((tab) => tab.evaluate(() => window.app.accessTokens(20))),
    );
    const all = perTab.flat();
    expect(all).toHaveLength(60);
    // On failure: which tab got what, and what each tab's TokenManager told (no token in either).
    const seen = async () =>
      JSON.stringify({
        tokens: perTab.map((got) => [...new Set(got)]),
        events: await Promise.all(tabs.map((tab) => tab.evaluate(() => window.app.events()))),
      });
    expect(new Set(all).size, `round ${round}: one token for every caller; ${await seen()}`).toBe(
      1,
    );
    expect(all[0]).not.toBeNull();
    expect(all[0]).not.toBe(previous);
    previous = all[0];
    expect(await grantStats(grantId)).toEqual({ grantId, refreshes: round, reuse: 0, errors: {} });
  }
  await expectStates(tabs, { status: 'authenticated' });
});

test('proactive refresh over 2.5 token lifetimes in 3 tabs: 0 API 401s, 0 reuse', async ({
  tabs: context,
}) => {
  const tabs = await openApp(context, 3, {
    namespace: uniqueNamespace('oauth-proactive'),
    clientId: SHORT_CLIENT_ID,
    proactive: true,
  });
  await signIn(tabs[0]!);
  const signedInAt = Date.now();
  const grantId = await tabs[0]!.evaluate(() => window.app.grantId());
  for (const tab of tabs) await tab.evaluate((url) => window.app.startCalling(url, 200), apiMe);
  // Refreshes fall due at ¾ of each lifetime: at least 4, and calls going on for 2.5 lifetimes.
  await expect
    .poll(
      async () =>
        Date.now() - signedInAt >= 2.5 * SHORT_TTL_MS && (await grantStats(grantId)).refreshes >= 4,
      { timeout: 6 * SHORT_TTL_MS },
    )
    .toBe(true);
  const calls = (await Promise.all(tabs.map((tab) => tab.evaluate(() => window.app.stopCalling()))))
    .flat()
    .map((call) => call.status);
  await Promise.all(tabs.map((tab) => tab.evaluate(() => window.app.stopRefreshing())));
  expect(calls.length).toBeGreaterThan(3 * 10);
  expect(calls.filter((status) => status !== 200)).toEqual([]);
  const stats = await grantStats(grantId);
  expect(stats).toMatchObject({ reuse: 0, errors: {} });
  // One tab refreshed each time; every tab heard every refresh.
  await expect
    .poll(async () => {
      const events = await Promise.all(tabs.map((tab) => tab.evaluate(() => window.app.events())));
      return events.flat().filter((e) => e.type === 'refreshed' && e.by === 'this-tab').length;
    })
    .toBe((await grantStats(grantId)).refreshes);
  await expectStates(tabs, { status: 'authenticated' });
});

// How the resource server comes to refuse the access token every tab holds and counts valid.
const refusals: Array<{
  title: string;
  clientId: string;
  refuse: (tabs: Tab[]) => Promise<void>;
}> = [
  {
    title: '',
    clientId: CLIENT_ID,
    async refuse(tabs) {
      await tabs[0]!.evaluate((rs) => window.app.refuseAtResource(rs), resourceServer);
      expect(await tabs[1]!.evaluate((url) => window.app.probe(url), apiMe)).toBe(401);
    },
  },
  {
    title: ' with every clock ten minutes behind',
    clientId: SHORT_CLIENT_ID,
    async refuse(tabs) {
      // To the tabs the token is fresh once the server says it expired.
      await setSkew(tabs, -10 * 60_000);
      await expect
        .poll(() => tabs[1]!.evaluate((url) => window.app.probe(url), apiMe), {
          timeout: 3 * SHORT_TTL_MS,
        })
        .toBe(401);
      // The signing-in tab wrote the access record: its storage drops it by the page's own clock
      // (the server's `exp`, in whole seconds, may come a moment before that).
      await expect.poll(() => tabs[0]!.evaluate(() => window.app.storedAccess())).toBe(false);
    },
  },
];

for (const { title, clientId, refuse } of refusals) {
  test(`the 401 retry${title}, 3 tabs × 5 concurrent fetch(): 1 refresh grant, every call ends 200`, async ({
    tabs: context,
  }) => {
    const tabs = await openApp(context, 3, {
      namespace: uniqueNamespace('oauth-401'),
      clientId,
      proactive: false,
    });
    await signIn(tabs[0]!);
    const grantId = await tabs[0]!.evaluate(() => window.app.grantId());
    await refuse(tabs);
    const statuses = (
      await Promise.all(
        tabs.map((tab) => tab.evaluate((url) => window.app.fetchAll(url, 5), apiMe)),
      )
    ).flat();
    const events = await Promise.all(tabs.map((tab) => tab.evaluate(() => window.app.events())));
    const stats = await grantStats(grantId);
    expect(statuses, JSON.stringify({ events, stats })).toEqual(
      Array.from({ length: 15 }, () => 200),
    );
    expect(stats).toEqual({ grantId, refreshes: 1, reuse: 0, errors: {} });
  });
}

test('logout in one tab: every tab signed out, the provider says the refresh token is inactive', async ({
  tabs: context,
}) => {
  const tabs = await openApp(context, 3, {
    namespace: uniqueNamespace('oauth-logout'),
    clientId: CLIENT_ID,
    proactive: true,
  });
  await signIn(tabs[0]!);
  await expectStates(tabs, { status: 'authenticated' });
  await tabs[0]!.evaluate(() => window.app.keepRefreshToken());
  expect(await tabs[0]!.evaluate(() => window.app.introspectKept())).toBe(true);
  await tabs[1]!.evaluate(() => window.app.logout());
  await expectStates(tabs, { status: 'unauthenticated' });
  for (const tab of tabs)
    expect(await tab.evaluate(() => window.app.held())).toEqual({ access: false, refresh: false });
  expect(await tabs[0]!.evaluate(() => window.app.introspectKept())).toBe(false);
});

test('DPoP: the key pair a logout in one tab destroys is signed with in no other tab, its handle held in memory or not', async ({
  tabs: context,
}) => {
  const tabs = await openApp(context, 3, {
    namespace: uniqueNamespace('oauth-dpop-logout'),
    clientId: DPOP_CLIENT_ID,
    dpop: true,
    proactive: false,
  });
  await signIn(tabs[0]!);
  await expectStates(tabs, { status: 'authenticated' });
  // Tabs 0 and 1 call the API with the bound token (their handles are held now); tab 2 has not.
  for (const tab of tabs) await tab.evaluate(() => window.app.keepAccessToken());
  for (const tab of tabs.slice(0, 2))
    expect(await tab.evaluate((url) => window.app.callKept(url), apiMe)).toBe(200);
  await tabs[1]!.evaluate(() => window.app.logout());
  await expectStates(tabs, { status: 'unauthenticated' });
  // The access token is still good at the resource server (a JWT): only the key is gone.
  for (const tab of tabs)
    expect(await tab.evaluate((url) => window.app.callKept(url), apiMe)).toBe('INVALID_GRANT');
});

test('invalid_grant (the grant revoked at the provider) signs out every tab', async ({
  tabs: context,
}) => {
  const tabs = await openApp(context, 3, {
    namespace: uniqueNamespace('oauth-invalid-grant'),
    clientId: CLIENT_ID,
    proactive: false,
  });
  await signIn(tabs[0]!);
  await expectStates(tabs, { status: 'authenticated' });
  await tabs[2]!.evaluate(() => window.app.revokeBehindTheBack());
  await setSkew(tabs, 2 * HOUR);
  const all = (
    await Promise.all(tabs.map((tab) => tab.evaluate(() => window.app.accessTokens(5))))
  ).flat();
  expect(all).toEqual(Array.from({ length: 15 }, () => null));
  await expectStates(tabs, { status: 'unauthenticated' });
  for (const tab of tabs)
    expect(await tab.evaluate(() => window.app.held())).toEqual({ access: false, refresh: false });
  const reasons = (await Promise.all(tabs.map((tab) => tab.evaluate(() => window.app.events()))))
    .flat()
    .filter((e) => e.type === 'cleared')
    .map((e) => e.reason)
    .sort();
  expect(reasons).toEqual(['invalid_grant', 'remote', 'remote']);
});

test('invalid_client neither signs out nor leaves a tab bare "authenticated" without a token', async ({
  tabs: context,
}) => {
  const tabs = await openApp(context, 3, {
    namespace: uniqueNamespace('oauth-invalid-client'),
    clientId: CLIENT_ID,
    refreshClientId: 'not-registered', // the provider answers 401 invalid_client to its refreshes
    proactive: false,
  });
  await signIn(tabs[0]!);
  await expectStates(tabs, { status: 'authenticated' });
  await tabs[0]!.evaluate(() => window.app.keepRefreshToken());
  await setSkew(tabs, 2 * HOUR);
  const errors = await Promise.all(
    tabs.map((tab) => tab.evaluate(() => window.app.accessTokenError())),
  );
  expect(errors).toEqual(['CLIENT_FAULT', 'CLIENT_FAULT', 'CLIENT_FAULT']);
  await expectStates(tabs, { status: 'authenticated', error: 'CLIENT_FAULT' });
  for (const tab of tabs) {
    expect(await tab.evaluate(() => window.app.held())).toEqual({ access: true, refresh: true });
    const events = await tab.evaluate(() => window.app.events());
    expect(events.filter((e) => e.type === 'cleared')).toEqual([]);
  }
  expect(await tabs[0]!.evaluate(() => window.app.introspectKept())).toBe(true);
});
