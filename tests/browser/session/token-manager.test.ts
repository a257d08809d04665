import { describe, expect, inject, it, vi } from 'vitest';
import {
  AuthSession,
  httpRefresh,
  httpRestore,
  httpRevoke,
  StrataError,
  TokenManager,
  type Strata,
  type TokenEvents,
  type TokenManagerOptions,
} from 'strata-storage';
import { failNextRefresh, refreshDelay, revoke, stats } from '../../setup/auth-client.js';
import { deferred, handTimers, makeStrata, rawDump } from '../helpers.js';
import { eachTestStrata, signInAt } from './helpers.js';

// TokenManager against the reference auth server (real ES256 JWTs, rotating refresh
// tokens with reuse detection), started by the Vitest global setup on 127.0.0.1.
const server = inject('authServerUrl');
const HOUR = 60 * 60 * 1000;

let strata: Strata;
let namespace: string;
const { managers } = eachTestStrata((made) => ({ strata, namespace } = made));

/** A TokenManager on the test's Strata talking to the real server; its clock runs `skew` ms ahead. */
function manager(options: Partial<TokenManagerOptions> = {}, clock = { skew: 0 }): TokenManager {
  const tokens = new TokenManager({
    storage: strata,
    refresh: httpRefresh(`${server}/api/auth/refresh`),
    clock: () => Date.now() + clock.skew,
    ...options,
  });
  managers.push(tokens);
  return tokens;
}

/** Every event the manager emits, in order. */
function record(tokens: TokenManager) {
  const events: Array<{ type: keyof TokenEvents; payload: unknown }> = [];
  for (const type of ['refreshed', 'refreshFailed', 'expired', 'cleared'] as const)
    tokens.on(type, (payload) => events.push({ type, payload }));
  return events;
}

/** A new user of the server, signed in: its name and the tokens the server issued. */
const signIn = (label: string, options: { accessTtl?: number } = {}) =>
  signInAt(server, label, options);

const me = (tokens: TokenManager) => tokens.fetch(`${server}/api/me`);
const realRefresh = (token: string) => httpRefresh(`${server}/api/auth/refresh`)(token);

/** The real fetch, counting the requests that go through it. */
function countingFetch(): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  return { fetch: (input, init) => (calls++, fetch(input, init)), calls: () => calls };
}

describe('TokenManager against the reference server', () => {
  it("holds a login's tokens and calls the API with a Bearer header", async () => {
    const { user, issued } = await signIn('bearer');
    const tokens = manager();
    await tokens.setTokens(issued);
    expect(await tokens.getAccessToken()).toBe(issued.accessToken);
    const response = await me(tokens);
    expect(response.status).toBe(200);
    expect((await response.json()).user.name).toBe(user);
    expect((await stats(server, user)).refreshRequests).toBe(0);
    const status = tokens.status();
    expect(status.isValid).toBe(true);
    expect(status.needsRefresh).toBe(false);
    expect(status.timeUntilExpiry).toBeGreaterThan(800_000);
  });

  it('refreshes an expired token once and rotates the refresh token', async () => {
    const { user, issued } = await signIn('expired');
    const clock = { skew: 0 };
    const tokens = manager({}, clock);
    const events = record(tokens);
    await tokens.setTokens(issued);
    clock.skew = 2 * HOUR; // this browser now believes the token expired
    const fresh = await tokens.getAccessToken();
    expect(fresh).not.toBe(issued.accessToken);
    expect((await me(tokens)).status).toBe(200);
    const held = await tokens.getTokens();
    expect(held?.refreshToken).not.toBe(issued.refreshToken);
    expect(held?.lastRefreshAt).toBe(tokens.status().lastRefreshAt);
    expect(await stats(server, user)).toMatchObject({
      refreshRequests: 1,
      refreshes: 1,
      reuseDetected: 0,
    });
    expect(events.map((e) => e.type)).toEqual(['refreshed']);
    expect(events[0]?.payload).toMatchObject({ by: 'this-tab' });
  });

  it('fifty concurrent callers on an expired token share one refresh request', async () => {
    const { user, issued } = await signIn('flight');
    const clock = { skew: 0 };
    const tokens = manager({}, clock);
    await tokens.setTokens(issued);
    await refreshDelay(server, user, 150);
    clock.skew = 2 * HOUR;
    const results = await Promise.all(Array.from({ length: 50 }, () => tokens.getAccessToken()));
    expect(new Set(results).size).toBe(1);
    expect(results[0]).not.toBe(issued.accessToken);
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1, reuseDetected: 0 });
  });

  it('a fresh token is not refreshed again, however often it is asked for', async () => {
    const { user, issued } = await signIn('calm');
    const tokens = manager();
    await tokens.setTokens(issued);
    for (let i = 0; i < 20; i++) await tokens.getAccessToken();
    await tokens.refresh(); // not forced: still fresh, nothing to do
    expect((await stats(server, user)).refreshRequests).toBe(0);
    await tokens.refresh({ force: true });
    expect((await stats(server, user)).refreshRequests).toBe(1);
  });

  it('refreshes proactively before expiry, once per lifetime, clamped for a short token', async () => {
    const { user, issued } = await signIn('proactive', { accessTtl: 4 }); // 4-second token
    const timers = handTimers();
    const tokens = manager({
      refreshBuffer: 60_000,
      checkInterval: 30_000,
      timers,
      clock: timers.now,
    });
    await tokens.setTokens(issued);
    const status = tokens.status();
    // A 60 s buffer on a 4 s token would refresh in a loop; it is clamped to a quarter of the lifetime.
    expect(status.expiresAt! - status.refreshAt!).toBeLessThanOrEqual(1_000);
    expect(status.needsRefresh).toBe(false);
    const refreshed = new Promise<TokenEvents['refreshed']>((resolve) =>
      tokens.on('refreshed', resolve),
    );
    tokens.start();
    expect(tokens.status().isRunning).toBe(true);
    await vi.waitFor(() => expect(timers.active()).toBe(1));
    expect(timers.delays.at(-1)).toBe(status.timeUntilRefresh); // the check is planned at refreshAt
    timers.advance(status.timeUntilRefresh!);
    const event = await refreshed;
    expect(event.by).toBe('this-tab');
    expect(await stats(server, user)).toMatchObject({ refreshes: 1 });
    // Well before the next refresh is due, nothing more happens.
    const next = tokens.status();
    expect(timers.delays.at(-1)).toBe(next.timeUntilRefresh);
    timers.advance(1_000);
    expect(timers.active()).toBe(1);
    expect((await stats(server, user)).refreshes).toBe(1);
    tokens.stop();
    expect(timers.active()).toBe(0);
    expect(tokens.status().isRunning).toBe(false);
  });

  it('on a 401 it refreshes once and retries once', async () => {
    const { user, issued } = await signIn('retry');
    const counter = countingFetch();
    const tokens = manager({ fetch: counter.fetch });
    // The browser believes this token is good for 15 minutes; the server does not accept it.
    await tokens.setTokens({ ...issued, accessToken: 'revoked.access.token', expiresIn: 900 });
    const response = await me(tokens);
    expect(response.status).toBe(200);
    expect(counter.calls()).toBe(2);
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1, meRequests: 1 });
  });

  it('a clock set back: a 401 after storage dropped the expired access record still refreshes once and retries', async () => {
    const { user, issued } = await signIn('skew-401');
    const counter = countingFetch();
    const clock = { skew: 0 };
    const tokens = manager({ fetch: counter.fetch }, clock);
    await tokens.setTokens({ ...issued, accessToken: 'revoked.access.token', expiresIn: 1 });
    clock.skew = -10 * 60_000; // to the SDK the token is fresh for ten more minutes
    // Storage drops the record a second after it was written, by the page's own clock.
    await expect.poll(() => strata.has('auth:tokens:access'), { timeout: 5_000 }).toBe(false);
    expect(tokens.status().isValid).toBe(true);
    const response = await me(tokens);
    expect(response.status).toBe(200);
    expect(counter.calls()).toBe(2);
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1, meRequests: 1 });
  });

  it('a second 401 is returned, not looped, and an invalid grant signs out', async () => {
    const { user, issued } = await signIn('loop');
    const counter = countingFetch();
    const tokens = manager({ fetch: counter.fetch });
    const events = record(tokens);
    await tokens.setTokens({ ...issued, accessToken: 'revoked.access.token', expiresIn: 900 });
    await revoke(server, user);
    const response = await me(tokens);
    expect(response.status).toBe(401);
    expect(counter.calls()).toBe(1);
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1, meRequests: 0 });
    expect(await tokens.getTokens()).toBeUndefined();
    expect(await strata.keys('auth:')).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['cleared', 'refreshFailed']);
    expect(events[0]?.payload).toEqual({ reason: 'invalid_grant' });
  });

  it('a transient failure keeps the tokens, reports, backs off, and the next refresh succeeds', async () => {
    const { user, issued } = await signIn('transient');
    const timers = handTimers();
    const decisions: number[] = [];
    const tokens = manager({
      timers,
      onRefreshFailed: (_error, attempt) => (decisions.push(attempt), 'retry'),
    });
    const events = record(tokens);
    await tokens.setTokens(issued);
    tokens.start();
    await failNextRefresh(server, user, 2, 503);
    await expect(tokens.refresh({ force: true })).rejects.toMatchObject({ code: 'REFRESH_FAILED' });
    await expect(tokens.refresh({ force: true })).rejects.toMatchObject({ code: 'REFRESH_FAILED' });
    expect(decisions).toEqual([1, 2]);
    expect(timers.delays.slice(-2)).toEqual([1_000, 2_000]); // exponential backoff
    expect(
      events
        .filter((e) => e.type === 'refreshFailed')
        .map((e) => (e.payload as TokenEvents['refreshFailed']).willRetry),
    ).toEqual([true, true]);
    expect((await tokens.getTokens())?.refreshToken).toBe(issued.refreshToken);
    await tokens.refresh({ force: true });
    expect(await stats(server, user)).toMatchObject({
      refreshRequests: 3,
      refreshes: 1,
      reuseDetected: 0,
    });
  });

  it('a 400/401 whose OAuth code blames the client (invalid_client, invalid_request) keeps the tokens and retries', async () => {
    const { user, issued } = await signIn('client-error');
    const timers = handTimers();
    const clock = { skew: 0 };
    const tokens = manager({ timers }, clock);
    const events = record(tokens);
    await tokens.setTokens(issued);
    clock.skew = 2 * HOUR; // expired for this browser: the scheduled retry must refresh
    tokens.start();
    for (const [status, code] of [
      [401, 'invalid_client'],
      [400, 'invalid_request'],
    ] as const) {
      await failNextRefresh(server, user, 1, status, code);
      const failure = await tokens.refresh({ force: true }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'REFRESH_FAILED', status });
      expect(String((failure as Error).message)).toContain(code);
      expect((await tokens.getTokens())?.refreshToken).toBe(issued.refreshToken);
    }
    expect(events.map((e) => [e.type, (e.payload as { willRetry?: boolean }).willRetry])).toEqual([
      ['refreshFailed', true],
      ['refreshFailed', true],
    ]);
    expect(timers.delays.slice(-2)).toEqual([1_000, 2_000]); // backoff
    expect(timers.active()).toBe(1);
    timers.fire(); // the scheduled retry refreshes with the kept token
    await vi.waitFor(() => expect(events.map((e) => e.type)).toContain('refreshed'));
    expect((await tokens.getTokens())?.refreshToken).not.toBe(issued.refreshToken);
    expect(await stats(server, user)).toMatchObject({
      refreshRequests: 3,
      refreshes: 1,
      reuseDetected: 0,
    });
  });

  it('a 400/401 with invalid_grant, invalid_token, a code of its own or none is an invalid grant and signs out', async () => {
    for (const [status, code] of [
      [400, 'invalid_grant'],
      [401, 'invalid_token'],
      [401, 'token_expired'],
      [400, null],
    ] as const) {
      const { user, issued } = await signIn('rejected');
      const tokens = manager();
      const events = record(tokens);
      await tokens.setTokens(issued);
      await failNextRefresh(server, user, 1, status, code);
      await expect(tokens.refresh({ force: true })).rejects.toMatchObject({
        code: 'INVALID_GRANT',
      });
      expect(await tokens.getTokens()).toBeUndefined();
      expect(events.map((e) => e.type)).toEqual(['cleared', 'refreshFailed']);
    }
  });

  it('onRefreshFailed can choose to sign out', async () => {
    const { user, issued } = await signIn('giveup');
    const tokens = manager({ onRefreshFailed: () => 'logout' });
    const events = record(tokens);
    await tokens.setTokens(issued);
    await failNextRefresh(server, user, 1, 503);
    await expect(tokens.refresh({ force: true })).rejects.toBeInstanceOf(StrataError);
    expect(await tokens.getTokens()).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['refreshFailed', 'cleared']);
  });

  it('computes expiry from expiresIn, so a browser clock hours off causes no refresh storm', async () => {
    const { user, issued } = await signIn('skew');
    for (const skew of [3 * HOUR, -3 * HOUR]) {
      const tokens = manager({}, { skew });
      await tokens.setTokens(issued);
      expect(tokens.status().needsRefresh).toBe(false);
      expect(tokens.status().timeUntilExpiry).toBeGreaterThan(800_000);
      for (let i = 0; i < 10; i++) await tokens.getAccessToken();
    }
    expect((await stats(server, user)).refreshRequests).toBe(0);
  });

  it('keeps every token out of raw storage, errors and events', async () => {
    const { user, issued } = await signIn('secret');
    const tokens = manager();
    const events = record(tokens);
    await tokens.setTokens(issued);
    await tokens.refresh({ force: true });
    const held = (await tokens.getTokens())!;
    await failNextRefresh(server, user, 1, 503);
    const failure = await tokens.refresh({ force: true }).catch((error: unknown) => error);
    const secrets = [
      issued.accessToken,
      issued.refreshToken,
      issued.idToken,
      held.accessToken,
      held.refreshToken!,
    ];
    const exposed = [
      await rawDump(namespace),
      JSON.stringify(events),
      String(failure),
      JSON.stringify(failure),
      String((failure as Error).cause),
    ].join('\n');
    for (const secret of secrets) expect(exposed).not.toContain(secret);
  });

  it('keeps the refresh token in memory only when asked', async () => {
    const { issued } = await signIn('memory');
    const tokens = manager({ refreshTokenStorage: 'memory' });
    await tokens.setTokens(issued);
    await tokens.refresh({ force: true });
    // Storage holds only an empty flag where the refresh token would be (its removal signs other tabs out).
    expect(await strata.keys('auth:')).toEqual([
      'auth:tokens:access',
      'auth:tokens:id',
      'auth:tokens:refresh',
    ]);
    expect(await strata.get('auth:tokens:refresh')).toBe('');
    expect(await rawDump(namespace)).not.toContain(issued.refreshToken);
    // A "reload" (a new manager) has no refresh token: it can use the access token but not refresh.
    const reloaded = manager({ refreshTokenStorage: 'memory' });
    expect(await reloaded.getAccessToken()).toBe((await tokens.getTokens())!.accessToken);
    await expect(reloaded.refresh({ force: true })).rejects.toMatchObject({
      code: 'NOT_AUTHENTICATED',
    });
  });

  it('clear() forgets the tokens and emits cleared', async () => {
    const { issued } = await signIn('clear');
    const tokens = manager();
    const events = record(tokens);
    await tokens.setTokens(issued);
    await tokens.clear();
    expect(await tokens.getAccessToken()).toBeNull();
    expect(tokens.status()).toMatchObject({ isValid: false, expiresAt: null });
    expect(events).toEqual([{ type: 'cleared', payload: { reason: 'logout' } }]);
  });

  it('an empty storage read while the page is hidden is unknown, not a sign-out, and nothing is spent on it', async () => {
    const { user, issued } = await signIn('hidden');
    const tokens = manager();
    await tokens.setTokens(issued);
    // As during page hide: the storage answers empty (here: the raw records are gone).
    for (const key of Object.keys(localStorage))
      if (key.startsWith(encodeURIComponent(namespace))) localStorage.removeItem(key);
    const visibility = Object.getOwnPropertyDescriptor(Document.prototype, 'visibilityState')!;
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    try {
      // Reads keep what this tab held; a refresh (under the lock, re-reading storage) does not spend it.
      expect(await tokens.getTokens()).toMatchObject({ refreshToken: issued.refreshToken });
      await expect(tokens.refresh({ force: true })).rejects.toMatchObject({
        code: 'NOT_AUTHENTICATED',
      });
      expect(await tokens.getTokens()).toMatchObject({ refreshToken: issued.refreshToken });
    } finally {
      Object.defineProperty(document, 'visibilityState', visibility);
    }
    expect(await stats(server, user)).toMatchObject({ refreshes: 0 });
    // Visible, the same empty read means signed out.
    await expect(tokens.refresh({ force: true })).rejects.toMatchObject({
      code: 'NOT_AUTHENTICATED',
    });
    expect(await tokens.getTokens()).toBeUndefined();
  });

  it('tokens that can no longer be decrypted are reported as key_lost, not as a sign-out by the user', async () => {
    const { issued } = await signIn('keylost');
    const tokens = manager();
    const events = record(tokens);
    await tokens.setTokens(issued);
    // Damage the stored access token's ciphertext, as a lost or replaced key would leave it.
    const rawKey = Object.keys(localStorage).find(
      (key) => key.startsWith(encodeURIComponent(namespace)) && key.endsWith(':auth:tokens:access'),
    )!;
    const raw = localStorage.getItem(rawKey)!;
    localStorage.setItem(
      rawKey,
      raw.slice(0, -8) + (raw.endsWith('AAAAAAAA') ? 'BBBBBBBB' : 'AAAAAAAA'),
    );
    expect(await strata.get('auth:tokens:access')).toBeNull();
    expect(events).toContainEqual({ type: 'cleared', payload: { reason: 'key_lost' } });
  });

  it('clear() revokes the refresh token at the server when given revoke', async () => {
    const { user, issued } = await signIn('revoke');
    const tokens = manager({ revoke: httpRevoke(`${server}/api/auth/logout`) });
    await tokens.setTokens(issued);
    await tokens.clear();
    expect((await stats(server, user)).revokedFamilies).toBe(1);
    await expect(
      httpRefresh(`${server}/api/auth/refresh`)(issued.refreshToken),
    ).rejects.toMatchObject({ code: 'INVALID_GRANT' });
  });

  it('a refresh in flight when clear() is called cannot bring the tokens back', async () => {
    const { user, issued } = await signIn('inflight-clear');
    const sent = deferred();
    const tokens = manager({
      refresh: (token) => (sent.resolve(), realRefresh(token)),
      revoke: httpRevoke(`${server}/api/auth/logout`),
    });
    await tokens.setTokens(issued);
    await refreshDelay(server, user, 300);
    const pending = tokens.refresh({ force: true }).catch((error: unknown) => error);
    await sent.promise; // the request is on its way, under the refresh lock
    await tokens.clear();
    expect(await pending).toMatchObject({ code: 'NOT_AUTHENTICATED' }); // its result was dropped
    expect(await tokens.getTokens()).toBeUndefined();
    expect(await strata.keys('auth:')).toEqual([]);
    expect(await tokens.getAccessToken()).toBeNull();
    // clear() waited for the refresh and revoked what it returned: nothing of the family works.
    expect(await stats(server, user)).toMatchObject({ refreshes: 1 });
    await expect(
      httpRefresh(`${server}/api/auth/refresh`)(issued.refreshToken),
    ).rejects.toMatchObject({ code: 'INVALID_GRANT' });
  });

  it('a sign-out in another tab while this one refreshes leaves both tabs signed out', async () => {
    const { user, issued } = await signIn('inflight-tabs');
    const options = {
      namespace: `${namespace}-tabs`,
      defaultStorage: 'localStorage' as const,
      encryption: { enabled: true },
      sync: { enabled: true },
    };
    const [tabA, tabB] = [makeStrata(options).strata, makeStrata(options).strata];
    const sent = deferred();
    const a = manager({ storage: tabA, refresh: (token) => (sent.resolve(), realRefresh(token)) });
    const b = manager({ storage: tabB });
    const cleared = record(a);
    await a.setTokens(issued);
    expect(await b.getAccessToken()).toBe(issued.accessToken);
    await refreshDelay(server, user, 300);
    const pending = a.refresh({ force: true }).catch(() => undefined);
    await sent.promise; // tab A's request is on its way, under the refresh lock
    await b.clear();
    await pending;
    await expect.poll(() => a.getTokens()).toBeUndefined();
    expect(await tabA.keys('auth:')).toEqual([]);
    expect(cleared.map((e) => e.type)).toContain('cleared');
    await expect(a.refresh({ force: true })).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect(await stats(server, user)).toMatchObject({ refreshes: 1 });
    await Promise.all([tabA.close(), tabB.close()]);
  });

  it('memory mode: a sign-out in another tab drops the refresh token this tab holds in memory', async () => {
    const { user, issued } = await signIn('memory-tabs');
    const options = {
      namespace: `${namespace}-memory`,
      defaultStorage: 'localStorage' as const,
      encryption: { enabled: true },
      sync: { enabled: true },
    };
    const [tabA, tabB] = [makeStrata(options).strata, makeStrata(options).strata];
    const a = manager({ storage: tabA, refreshTokenStorage: 'memory' });
    const b = manager({ storage: tabB, refreshTokenStorage: 'memory' });
    const events = record(a);
    await a.setTokens(issued);
    expect(await rawDump(`${namespace}-memory`)).not.toContain(issued.refreshToken);
    await b.clear();
    await expect.poll(() => events.map((e) => e.type)).toContain('cleared');
    expect(events.find((e) => e.type === 'cleared')?.payload).toEqual({ reason: 'remote' });
    await expect(a.refresh({ force: true })).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 0 });
    await Promise.all([tabA.close(), tabB.close()]);
  });

  it('stillSignedIn() reads the shared record: false in a tab that has not yet heard of a sign-out elsewhere', async () => {
    for (const refreshTokenStorage of ['storage', 'memory'] as const) {
      const { issued } = await signIn(`still-${refreshTokenStorage}`);
      // Two tabs that never hear each other (no sync): the `cleared` of one never reaches the other.
      const options = {
        namespace: `${namespace}-${refreshTokenStorage}`,
        encryption: { enabled: true },
      };
      const [tabA, tabB] = [makeStrata(options).strata, makeStrata(options).strata];
      const a = manager({ storage: tabA, refreshTokenStorage });
      const b = manager({ storage: tabB, refreshTokenStorage });
      await a.setTokens(issued);
      expect([await a.stillSignedIn(), await b.stillSignedIn()]).toEqual([true, true]);
      await a.clear();
      expect(await b.getTokens()).toBeDefined();
      expect([await a.stillSignedIn(), await b.stillSignedIn()]).toEqual([false, false]);
      await Promise.all([tabA.close(), tabB.close()]);
    }
  });

  it('a refreshed token whose absolute expiry is already past by this clock counts as unknown: one refresh, no loop', async () => {
    const { user, issued } = await signIn('skew-absolute');
    const realRefresh = httpRefresh(`${server}/api/auth/refresh`);
    // A server that answers an absolute expiry (by its own, correct clock).
    const refresh = async (token: string) => {
      const { accessToken, refreshToken } = await realRefresh(token);
      return {
        accessToken,
        expiresAt: Date.now() + 15 * 60_000,
        ...(refreshToken === undefined ? {} : { refreshToken }),
      };
    };
    const timers = handTimers();
    const tokens = manager({ refresh, checkInterval: 50, timers }, { skew: 2 * HOUR });
    await tokens.setTokens({
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      expiresAt: Date.now() + 15 * 60_000,
    });
    expect(tokens.status()).toMatchObject({ isValid: false, needsRefresh: true }); // a login's expiry is taken as it is
    tokens.start();
    // Ten proactive checks, each run once the one before has planned the next.
    for (let check = 0; check < 10; check++) {
      await vi.waitFor(() => expect(timers.active()).toBe(1));
      timers.fire();
    }
    await vi.waitFor(() => expect(timers.active()).toBe(1));
    expect(timers.delays.slice(-9)).toEqual(Array(9).fill(50)); // unknown expiry: every checkInterval
    tokens.stop();
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1 });
    expect(tokens.status()).toMatchObject({ expiresAt: null, isValid: true, needsRefresh: false });
    expect(await tokens.getAccessToken()).not.toBe(issued.accessToken);
  });

  it("a refresh that outlasts the old access token's expiry still lands (the expiring access record is no sign-out)", async () => {
    const { user, issued } = await signIn('cross-expiry');
    const tokens = manager();
    await tokens.setTokens({ ...issued, expiresIn: 0.2 }); // the stored access record expires in 200 ms
    await refreshDelay(server, user, 400);
    const held = await tokens.refresh({ force: true });
    expect(held.accessToken).not.toBe(issued.accessToken);
    expect(await tokens.getTokens()).toMatchObject({ refreshToken: held.refreshToken });
    expect(await stats(server, user)).toMatchObject({ refreshes: 1 });
  });

  it("a failed refresh never carries the original error: fields like an HTTP client's request stay out", async () => {
    const { issued } = await signIn('cause');
    const tokens = manager({
      refresh: async (refreshToken) => {
        throw Object.assign(new Error('Request failed with status code 503'), {
          status: 503,
          config: { data: JSON.stringify({ refreshToken }) },
        });
      },
    });
    const events = record(tokens);
    await tokens.setTokens(issued);
    const error = await tokens.refresh({ force: true }).catch((e: unknown) => e as StrataError);
    expect(error).toMatchObject({ code: 'REFRESH_FAILED' });
    const failed = events.find((e) => e.type === 'refreshFailed')
      ?.payload as TokenEvents['refreshFailed'];
    for (const cause of [(error as StrataError).cause, failed.error.cause]) {
      expect(cause).toBeInstanceOf(Error);
      expect(cause).toMatchObject({ status: 503, message: 'Request failed with status code 503' });
      expect(cause).not.toHaveProperty('config');
      expect(JSON.stringify(cause, Object.getOwnPropertyNames(cause))).not.toContain(
        issued.refreshToken,
      );
    }
  });

  it('an invalid grant whose error message quotes the token: the token is masked though the sign-out forgot it', async () => {
    const { issued } = await signIn('mask-grant');
    const tokens = manager({
      refresh: async (refreshToken) => {
        throw Object.assign(new Error(`invalid_grant for ${refreshToken}`), { status: 400 });
      },
    });
    const events = record(tokens);
    await tokens.setTokens(issued);
    const error = (await tokens.refresh({ force: true }).catch((e: unknown) => e)) as StrataError;
    expect(error).toMatchObject({ code: 'INVALID_GRANT' });
    expect(await tokens.getTokens()).toBeUndefined();
    const failed = events.find((e) => e.type === 'refreshFailed')
      ?.payload as TokenEvents['refreshFailed'];
    for (const cause of [error.cause, failed.error.cause] as Error[]) {
      expect(cause.message).toBe('invalid_grant for [token]');
      expect(cause.message).not.toContain(issued.refreshToken);
    }
  });

  it('fetch with a Request keeps its headers and body, on the retry after a 401 too', async () => {
    const { issued } = await signIn('request');
    const seen: Array<{ auth: string | null; custom: string | null; body: string }> = [];
    const tokens = manager({
      fetch: async (input) => {
        const request = input as Request;
        seen.push({
          auth: request.headers.get('Authorization'),
          custom: request.headers.get('X-Custom'),
          body: await request.text(),
        });
        return new Response(null, { status: seen.length === 1 ? 401 : 200 });
      },
    });
    await tokens.setTokens(issued);
    const response = await tokens.fetch(
      new Request(`${server}/api/anything`, {
        method: 'POST',
        headers: { 'X-Custom': 'kept' },
        body: 'payload',
      }),
    );
    expect(response.status).toBe(200);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual({
      auth: `Bearer ${issued.accessToken}`,
      custom: 'kept',
      body: 'payload',
    });
    expect(seen[1]?.custom).toBe('kept');
    expect(seen[1]?.body).toBe('payload');
    expect(seen[1]?.auth).not.toBe(seen[0]?.auth); // refreshed at the real server, then retried
  });

  it('logout while a restore is in flight: the restore cannot sign the user back in', async () => {
    const { user, issued } = await signIn('restore-logout');
    const tokens = manager({ revoke: httpRevoke(`${server}/api/auth/logout`) });
    const sent = deferred();
    const realRestore = httpRestore(`${server}/api/auth/refresh`);
    const auth = new AuthSession({
      storage: strata,
      tokens,
      restore: (token) => (sent.resolve(), realRestore(token)),
      browserSession: () => 'b1',
    });
    await tokens.setTokens(issued); // a refresh token, no session: the next getSession() restores
    await refreshDelay(server, user, 300);
    const restoring = auth.getSession();
    await sent.promise; // the restore request is on its way, under the refresh lock
    await auth.logout();
    await restoring;
    expect(await auth.getSession()).toBeNull();
    expect(auth.getState().status).toBe('unauthenticated');
    expect(await strata.keys('auth')).toEqual([]);
  });

  it('a restore without a TokenManager whose refresh token is rejected does not send it again', async () => {
    const { user, issued } = await signIn('restore-dead');
    const auth = new AuthSession({
      storage: strata,
      restore: httpRestore(`${server}/api/auth/refresh`),
      browserSession: () => 'b1',
    });
    await strata.set('auth:refresh-token', issued.refreshToken, { encrypt: true, tags: ['auth'] });
    await revoke(server, user);
    expect(await auth.getSession()).toBeNull();
    expect(await auth.getSession()).toBeNull();
    expect(await stats(server, user)).toMatchObject({ refreshRequests: 1 });
    expect(await strata.get('auth:refresh-token')).toBeNull();
  });

  it('a refresh request the server does not answer in time fails with TIMEOUT and keeps the tokens', async () => {
    const { user, issued } = await signIn('timeout');
    const tokens = manager({
      refresh: httpRefresh(`${server}/api/auth/refresh`, { timeout: 150 }),
    });
    const events = record(tokens);
    await tokens.setTokens(issued);
    await refreshDelay(server, user, 1_000);
    await expect(tokens.refresh({ force: true })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(events.find((e) => e.type === 'refreshFailed')?.payload).toMatchObject({
      willRetry: false,
      attempt: 1,
    });
    expect(await tokens.getTokens()).toMatchObject({ refreshToken: issued.refreshToken });
  });

  it('a refresh token with refreshExpiresIn is stored with that lifetime, kept across access-only refreshes', async () => {
    const { issued } = await signIn('refresh-ttl');
    const tokens = manager();
    await tokens.setTokens({ ...issued, refreshExpiresIn: 3_600 });
    const ttl = await strata.getTTL('auth:tokens:refresh');
    expect(ttl).toBeGreaterThan(3_590_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    expect((await tokens.getTokens())?.refreshExpiresAt).toBeGreaterThan(Date.now() + 3_590_000);
  });

  it('refuses timing options that are not finite milliseconds', () => {
    for (const bad of [Number.POSITIVE_INFINITY, -1, Number.NaN]) {
      expect(
        () =>
          new TokenManager({
            storage: strata,
            refresh: async () => ({ accessToken: 'x' }),
            checkInterval: bad,
          }),
      ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    }
  });

  it('refuses options without storage or refresh', () => {
    expect(() => new TokenManager({} as TokenManagerOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
