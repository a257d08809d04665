import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthSession, Strata, type AuthState } from 'strata-storage';
import { makeStrata, manualClock, rawDump } from '../helpers.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const alice = {
  userId: 'u-alice',
  username: 'alice',
  roles: ['user'],
  permissions: ['cart:write'],
};

const open: Strata[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** An AuthSession over a fresh encrypted localStorage Strata sharing one manual clock. */
async function setup(extra: Partial<ConstructorParameters<typeof AuthSession>[0]> = {}) {
  const clock = manualClock(Date.now());
  const { strata, errors, namespace } = makeStrata({
    defaultStorage: 'localStorage',
    encryption: { enabled: true },
    clock: clock.now,
  });
  await strata.ready();
  open.push(strata);
  const auth = new AuthSession({
    storage: strata,
    clock: clock.now,
    browserSession: () => 'browser-1',
    ...extra,
  });
  const states: AuthState['status'][] = [];
  auth.subscribe((state) => states.push(state.status));
  return { auth, strata, clock, errors, namespace, states };
}

describe('AuthSession', () => {
  it('moves loading → authenticated → unauthenticated through login and logout', async () => {
    const { auth, states } = await setup();
    expect(auth.getState()).toEqual({ status: 'loading', session: null });
    expect(await auth.initialize()).toEqual({ status: 'unauthenticated', session: null });
    await auth.login(alice);
    expect(auth.getState().status).toBe('authenticated');
    expect(auth.getState().session).toMatchObject({ userId: 'u-alice', rememberMe: false });
    expect(await auth.isAuthenticated()).toBe(true);
    await auth.logout();
    expect(await auth.getSession()).toBeNull();
    expect(states).toEqual(['unauthenticated', 'authenticated', 'unauthenticated']);
  });

  it('answers permissions and roles from the session', async () => {
    const { auth } = await setup();
    expect(await auth.hasPermission('cart:write')).toBe(false);
    await auth.login({ ...alice, roles: ['admin'], permissions: ['cart:write', 'users:read'] });
    expect(await auth.hasPermission('users:read')).toBe(true);
    expect(await auth.hasPermission('users:delete')).toBe(false);
    expect(await auth.hasRole('admin')).toBe(true);
    expect(await auth.hasRole('owner')).toBe(false);
  });

  it('lasts 24 hours without rememberMe and 30 days with it', async () => {
    const plain = await setup();
    const remembered = await setup();
    await plain.auth.login(alice);
    await remembered.auth.login(alice, { rememberMe: true });
    for (const { clock } of [plain, remembered]) clock.advance(DAY + HOUR);
    expect(await plain.auth.getSession()).toBeNull();
    expect(plain.auth.getState().status).toBe('unauthenticated');
    const session = await remembered.auth.getSession();
    expect(session).toMatchObject({ userId: 'u-alice', rememberMe: true });
    remembered.clock.advance(30 * DAY);
    expect(await remembered.auth.getSession()).toBeNull();
  });

  it('slides with activity: a session used every 20 hours never lapses', async () => {
    const { auth, clock } = await setup();
    await auth.login(alice);
    for (let i = 0; i < 4; i++) {
      clock.advance(20 * HOUR);
      const session = await auth.getSession();
      expect(session?.lastActivity).toBe(clock.now());
      expect(session?.expiresAt).toBeGreaterThanOrEqual(clock.now() + 23 * HOUR);
    }
    clock.advance(DAY + HOUR);
    expect(await auth.getSession()).toBeNull();
  });

  it('throttles lastActivity writes: reads within a minute do not rewrite storage', async () => {
    const { auth, strata, clock } = await setup();
    await auth.login(alice);
    const writes: string[] = [];
    strata.subscribe('', (change) => writes.push(change.key));
    for (let i = 0; i < 20; i++) {
      clock.advance(1_000);
      await auth.getSession();
    }
    expect(writes.filter((key) => key === 'auth-session').length).toBeLessThanOrEqual(1);
    clock.advance(60_000);
    await auth.getSession();
    expect(writes.filter((key) => key === 'auth-session').length).toBeGreaterThanOrEqual(1);
  });

  it('extendSession moves the expiry; it is false when signed out', async () => {
    const { auth, clock } = await setup();
    expect(await auth.extendSession()).toBe(false);
    await auth.login(alice);
    expect(await auth.extendSession(3 * DAY)).toBe(true);
    clock.advance(2 * DAY);
    expect(await auth.getSession()).not.toBeNull();
  });

  it('extendSession publishes a new session object, never changing one already published', async () => {
    const { auth, clock } = await setup();
    await auth.login(alice);
    clock.advance(2 * 60_000); // extendSession's own read touches lastActivity and publishes that session first
    const published: Array<{ session: AuthState['session']; expiresAt: number | undefined }> = [];
    auth.subscribe((state) =>
      published.push({ session: state.session, expiresAt: state.session?.expiresAt }),
    );
    expect(await auth.extendSession(3 * DAY)).toBe(true);
    expect(published.at(-1)?.expiresAt).toBe(clock.now() + 3 * DAY);
    for (const { session, expiresAt } of published) expect(session?.expiresAt).toBe(expiresAt); // none changed after publication
    expect(auth.getState().session?.expiresAt).toBe(clock.now() + 3 * DAY);
  });

  it('an activity touch racing a logout in another tab never signs the user back in', async () => {
    const { strata: first, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    open.push(first);
    const tabA = new AuthSession({ storage: first, browserSession: () => 'browser-1' });
    await tabA.login(alice, { rememberMe: true });
    let gate: Promise<void> = Promise.resolve();
    let inTouch = false;
    /** Tab B's store: the touch's TTL read waits at the gate, between reading the session and writing it. */
    class GatedStrata extends Strata {
      override async getTTL(key: string): Promise<number | null> {
        inTouch = true;
        await gate;
        return super.getTTL(key);
      }
    }
    const second = new GatedStrata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    open.push(second);
    const tabB = new AuthSession({ storage: second, browserSession: () => 'browser-1' });
    let openGate = (): void => undefined;
    gate = new Promise((resolve) => (openGate = resolve));
    const reading = tabB.getSession(); // the first read of tab B records activity
    await vi.waitFor(() => expect(inTouch).toBe(true));
    const loggingOut = tabA.logout();
    // The logout waits for the lock tab B's touch holds (it would be done by now without it).
    const restoreLock = `strata-restore:${namespace}/auth-session`;
    await vi.waitFor(async () =>
      expect((await navigator.locks.query()).pending?.map((lock) => lock.name)).toContain(
        restoreLock,
      ),
    );
    openGate();
    await Promise.all([reading, loggingOut]);
    expect(await first.get('auth-session')).toBeNull();
    expect(await tabA.getSession()).toBeNull();
    expect(await tabB.getSession()).toBeNull();
  });

  it('initialize() called twice at once reads the session once', async () => {
    const { auth } = await setup();
    let reads = 0;
    const original = auth.getSession.bind(auth);
    auth.getSession = () => (reads++, original());
    const [a, b] = await Promise.all([auth.initialize(), auth.initialize()]);
    expect(reads).toBe(1);
    expect(a).toEqual({ status: 'unauthenticated', session: null });
    expect(b).toBe(a);
  });

  it('logout removes every item tagged auth and leaves the rest', async () => {
    const { auth, strata } = await setup();
    await auth.login(alice);
    await strata.set('user:u-alice:avatar', 'a.png', { tags: ['auth'] });
    await strata.set('prefs:theme', 'dark');
    await auth.logout();
    expect(await strata.keys()).toEqual(['prefs:theme']);
  });

  it('logout with destroyKey crypto-shreds the namespace: a copy of what was left never decrypts', async () => {
    const { auth, strata, namespace } = await setup();
    await auth.login(alice, { rememberMe: true });
    await strata.set('prefs:theme', 'dark');
    const copy = Object.keys(localStorage)
      .filter((key) => key.startsWith(encodeURIComponent(namespace)))
      .map((key) => [key, localStorage.getItem(key)!] as const);
    await auth.logout({ destroyKey: true });
    expect(await strata.keys()).toEqual([]);
    // Put the old ciphertexts back, as a stolen profile copy would have them.
    for (const [key, value] of copy) if (!key.includes('#')) localStorage.setItem(key, value);
    const { strata: reopened } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
    });
    open.push(reopened);
    expect(await reopened.get('auth-session')).toBeNull();
    expect(await reopened.get('prefs:theme')).toBeNull();
  });

  it('stores the session encrypted: no user field, tag or permission in raw storage', async () => {
    const { auth, namespace } = await setup();
    await auth.login(
      { ...alice, email: 'alice@example.test' },
      {
        tokens: {
          accessToken: 'access-token-raw-value',
          refreshToken: 'refresh-token-raw-value',
          expiresIn: 900,
        },
      },
    );
    const raw = await rawDump(namespace);
    for (const secret of [
      'alice@example.test',
      'u-alice',
      'cart:write',
      'refresh-token-raw-value',
      '"auth"',
    ])
      expect(raw).not.toContain(secret);
  });

  it('drops a session signed in without rememberMe once the browser session changes', async () => {
    let browser = 'browser-1';
    const { auth } = await setup({ browserSession: () => browser });
    await auth.login(alice, {
      tokens: { accessToken: 'a'.repeat(20), refreshToken: 'r'.repeat(20), expiresIn: 900 },
    });
    expect(await auth.getSession()).not.toBeNull();
    browser = 'browser-2';
    expect(await auth.getSession()).toBeNull();
    expect(auth.getState().status).toBe('unauthenticated');
  });

  it('a session without rememberMe used for days still ends when the browser closes', async () => {
    let browser = 'browser-1';
    const { auth, clock } = await setup({ browserSession: () => browser });
    await auth.login(alice, {
      tokens: { accessToken: 'a'.repeat(20), refreshToken: 'r'.repeat(20), expiresIn: 900 },
    });
    for (let hour = 0; hour < 30; hour++) {
      clock.advance(HOUR);
      expect(await auth.getSession()).not.toBeNull(); // sliding: in use, it never lapses
    }
    browser = 'browser-2'; // closed and reopened after 30 hours of use
    expect(await auth.getSession()).toBeNull();
    expect(auth.getState().status).toBe('unauthenticated');
  });

  it('keeps a remembered session across browser sessions', async () => {
    let browser = 'browser-1';
    const { auth } = await setup({ browserSession: () => browser });
    await auth.login(alice, { rememberMe: true });
    browser = 'browser-2';
    expect(await auth.getSession()).toMatchObject({ userId: 'u-alice' });
  });

  it('refuses a login without a userId', async () => {
    const { auth } = await setup();
    await expect(auth.login({ userId: '' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    expect(auth.getState().status).toBe('loading');
  });
});
