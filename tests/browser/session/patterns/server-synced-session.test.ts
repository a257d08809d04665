import { afterEach, describe, expect, inject, it } from 'vitest';
import { httpRefresh, httpRevoke, Strata, TokenManager } from 'strata-storage';
import {
  ServerSyncedSession,
  type ServerSyncedSessionOptions,
  type SyncOutcome,
} from '../../../../src/session/server-synced-session.js';
import { failNextRefresh, login, revoke, stats, uniqueUser } from '../../../setup/auth-client.js';
import { deferred, handTimers, makeStrata, manualClock } from '../../helpers.js';

const url = inject('authServerUrl');
const open: Strata[] = [];
const stops: Array<() => void> = [];
afterEach(async () => {
  stops.splice(0).forEach((stop) => stop());
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A signed-in user on the reference server, with its tokens in a TokenManager. */
async function signedIn(label: string, options: { revoke?: boolean } = {}) {
  const username = uniqueUser(label);
  const { user, tokens } = await login(url, username);
  const { strata, errors } = makeStrata({
    defaultStorage: 'localStorage',
    encryption: { enabled: true },
  });
  open.push(strata);
  const tokenManager = new TokenManager({
    storage: strata,
    refresh: httpRefresh(`${url}/api/auth/refresh`),
    proactive: false,
    ...(options.revoke ? { revoke: httpRevoke(`${url}/api/auth/logout`) } : {}),
  });
  await tokenManager.setTokens(tokens);
  return { username, user, tokens, strata, errors, tokenManager };
}

/** A ServerSyncedSession of `storage` syncing with the reference server through `tokens`. */
const syncOf = (
  storage: Strata,
  tokens: TokenManager,
  options: Partial<ServerSyncedSessionOptions> = {},
) => new ServerSyncedSession({ storage, tokens, endpoint: `${url}/api/session/sync`, ...options });

const stale = {
  user: { id: 'someone-else', name: 'Stale' },
  permissions: ['admin:write'],
  roles: ['admin'],
  ui: { theme: 'dark', sidebar: 'collapsed' },
  preferences: { lang: 'fr' },
};

describe('ServerSyncedSession (reference server)', () => {
  it('server wins for user, roles and permissions; local wins for UI state and preferences', async () => {
    const { username, user, strata, tokenManager } = await signedIn('sync');
    const clock = manualClock();
    const sync = syncOf(strata, tokenManager, { clock: clock.now });
    await sync.set(stale);
    const synced: unknown[] = [];
    stops.push(sync.on('synced', (session) => synced.push(session)));
    const outcome = await sync.syncNow();
    expect(outcome.status).toBe('synced');
    const stored = await sync.get();
    expect(stored).toMatchObject({
      user: { id: user.id, name: user.name },
      roles: user.roles,
      permissions: user.permissions,
      ui: { theme: 'dark', sidebar: 'collapsed' },
      preferences: { lang: 'fr' },
      lastSync: clock.now(),
    });
    expect(stored?.serverData).toEqual({ serverTime: expect.any(Number) });
    expect(synced).toEqual([stored]);
    expect((await stats(url, username)).syncRequests).toBe(1);
  });

  it('applies a custom merge and a custom server-owned key list', async () => {
    const { user, strata, tokenManager } = await signedIn('merge');
    const onlyUser = syncOf(strata, tokenManager, { serverKeys: ['user'] });
    await onlyUser.set(stale);
    await onlyUser.syncNow();
    expect(await onlyUser.get()).toMatchObject({
      user: { id: user.id },
      permissions: ['admin:write'],
      roles: ['admin'],
    });

    const custom = syncOf(strata, tokenManager, {
      merge: (local, server) => ({
        preferences: local.preferences,
        who: (server.user as { id: string }).id,
      }),
    });
    await custom.syncNow();
    const stored = await custom.get();
    expect(stored).toEqual({
      preferences: { lang: 'fr' },
      who: user.id,
      lastSync: expect.any(Number),
    });
  });

  it('keeps local edits made while the request was in flight', async () => {
    const { strata, tokenManager } = await signedIn('inflight');
    const sync: ServerSyncedSession = new ServerSyncedSession({
      storage: strata,
      endpoint: `${url}/api/session/sync`,
      fetch: async (input, init) => {
        await sync.updateSessionData('ui.theme', 'light'); // the user clicks while the request travels
        return tokenManager.fetch(input, init);
      },
    });
    await sync.set(stale);
    expect((await sync.syncNow()).status).toBe('synced');
    expect(await sync.get()).toMatchObject({ ui: { theme: 'light', sidebar: 'collapsed' } });
  });

  it('a 401 (after the one refresh the TokenManager tries) clears the session and stops the timer', async () => {
    const { username, strata, tokenManager } = await signedIn('revoked');
    const timers = handTimers();
    const sync = syncOf(strata, tokenManager, { timers });
    await sync.set(stale);
    const cleared: unknown[] = [];
    stops.push(sync.on('cleared', (event) => cleared.push(event)));
    expect((await sync.syncNow()).status).toBe('synced');
    sync.start();
    expect(sync.running).toBe(true);
    // start() launched a sync: this call joins it, so the revoke comes after it, never during it.
    expect((await sync.syncNow()).status).toBe('synced');
    await revoke(url, username);
    const outcome = await sync.syncNow();
    expect(outcome).toEqual({ status: 'unauthorized' });
    expect(await sync.get()).toBeNull();
    expect(await strata.has('session')).toBe(false);
    expect(cleared).toEqual([{ reason: 'unauthorized' }]);
    expect(sync.running).toBe(false);
    expect(timers.active()).toBe(0);
    expect((await stats(url, username)).refreshRequests).toBeGreaterThanOrEqual(1);
  });

  it('a sync overtaken by a revoke does not report synced, and syncNow() after the revoke starts afresh', async () => {
    const { username, strata, tokenManager } = await signedIn('overtaken', { revoke: true });
    const answered = deferred();
    const release = deferred();
    let calls = 0;
    const sync = syncOf(strata, tokenManager, {
      fetch: async (input, init) => {
        const response = await tokenManager.fetch(input, init);
        if (++calls === 1) {
          answered.resolve(); // the server accepted the first sync, before the revoke
          await release.promise;
        }
        return response;
      },
    });
    await sync.set(stale);
    const synced: unknown[] = [];
    stops.push(sync.on('synced', (session) => synced.push(session)));
    const first = sync.syncNow();
    await answered.promise;
    await tokenManager.clear(); // revokes the refresh token at the server; signed out
    expect((await stats(url, username)).revokedFamilies).toBe(1);
    const second = sync.syncNow();
    release.resolve();
    const [before, after] = await Promise.all([first, second]);
    expect(before.status).not.toBe('synced');
    expect(before).toEqual({ status: 'skipped' });
    expect(after).toEqual({ status: 'unauthorized' }); // a new request, sent without a token
    expect(synced).toEqual([]);
    expect(await sync.get()).toBeNull();
    expect((await stats(url, username)).syncRequests).toBe(1); // the second never authenticated
    expect(calls).toBe(2);
  });

  /**
   * Another tab of `strata`'s namespace (its own Strata, TokenManager and ServerSyncedSession),
   * which hears nothing of the first (no sync: a `cleared` from there never arrives), and whose
   * sync requests wait after the server's answer until `release`.
   */
  async function otherTab(strata: Strata) {
    const other = makeStrata({
      namespace: strata.namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
    }).strata;
    open.push(other);
    const tokens = new TokenManager({
      storage: other,
      refresh: httpRefresh(`${url}/api/auth/refresh`),
      proactive: false,
    });
    stops.push(() => tokens.dispose());
    const answered = deferred();
    const release = deferred();
    const sync = syncOf(other, tokens, {
      fetch: async (input, init) => {
        const response = await tokens.fetch(input, init);
        answered.resolve();
        await release.promise;
        return response;
      },
    });
    const synced: unknown[] = [];
    stops.push(sync.on('synced', (session) => synced.push(session)));
    return { tokens, sync, synced, answered, release: () => release.resolve() };
  }

  it("a sync in another tab whose answer arrives after this tab's sign-out, before its cleared, resolves skipped", async () => {
    const { username, strata, tokenManager } = await signedIn('other-tab', { revoke: true });
    const tab = await otherTab(strata);
    await tab.sync.set(stale);
    const outcome = tab.sync.syncNow();
    await tab.answered.promise; // the server accepted it, before the sign-out
    await tokenManager.clear();
    expect((await stats(url, username)).revokedFamilies).toBe(1);
    expect(await tab.tokens.getTokens()).toBeDefined(); // that tab has not heard of it
    tab.release();
    expect(await outcome).toEqual({ status: 'skipped' });
    expect(tab.synced).toEqual([]);
    expect((await stats(url, username)).syncRequests).toBe(1);
  });

  it('a sync in another tab whose answer arrives while this tab signs out resolves skipped', async () => {
    const username = uniqueUser('other-tab-revoking');
    const { tokens } = await login(url, username);
    const { strata } = makeStrata({
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
    });
    open.push(strata);
    const revoking = deferred();
    const revokeNow = deferred();
    const tokenManager = new TokenManager({
      storage: strata,
      refresh: httpRefresh(`${url}/api/auth/refresh`),
      proactive: false,
      revoke: async (refreshToken) => {
        revoking.resolve();
        await revokeNow.promise; // the revocation is still on its way to the server
        await httpRevoke(`${url}/api/auth/logout`)(refreshToken);
      },
    });
    await tokenManager.setTokens(tokens);
    const tab = await otherTab(strata);
    await tab.sync.set(stale);
    const outcome = tab.sync.syncNow();
    await tab.answered.promise;
    const signingOut = tokenManager.clear();
    await revoking.promise;
    tab.release();
    expect(await outcome).toEqual({ status: 'skipped' });
    revokeNow.resolve();
    await signingOut;
    expect(tab.synced).toEqual([]);
    expect((await stats(url, username)).revokedFamilies).toBe(1);
  });

  it('a 401 while the TokenManager still holds tokens (its refresh failed for a passing reason) keeps the session', async () => {
    const { username, strata, tokenManager } = await signedIn('refresh-down');
    const held = await tokenManager.getTokens();
    await tokenManager.setTokens({
      accessToken: 'not.a.valid-token',
      refreshToken: held?.refreshToken as string,
      expiresIn: 900,
    });
    const sync = syncOf(strata, tokenManager);
    await sync.set(stale);
    const cleared: unknown[] = [];
    stops.push(sync.on('cleared', (event) => cleared.push(event)));
    await failNextRefresh(url, username, 1, 503);
    const outcome = await sync.syncNow();
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'NETWORK' } });
    expect(await sync.get()).toMatchObject(stale);
    expect(cleared).toEqual([]);
    expect((await sync.syncNow()).status).toBe('synced'); // the refresh works again: the same session syncs
    expect(await stats(url, username)).toMatchObject({ refreshRequests: 2, refreshes: 1 });
  });

  it('syncs on start and on every tick of injected timers; failures are events, never throws', async () => {
    const { username, strata, tokenManager } = await signedIn('timer');
    const timers = handTimers();
    const sync = syncOf(strata, tokenManager, { timers, interval: 5_000 });
    await sync.set({ ui: { theme: 'dark' } });
    const outcomes: SyncOutcome['status'][] = [];
    stops.push(sync.on('synced', () => outcomes.push('synced')));
    sync.start();
    await sync.syncNow(); // joins the sync start() launched
    expect(outcomes).toEqual(['synced']);
    timers.fire();
    await sync.syncNow(); // joins the sync the tick launched
    expect(outcomes).toEqual(['synced', 'synced']);
    expect((await stats(url, username)).syncRequests).toBe(2);
    sync.stop();
    expect(timers.active()).toBe(0);

    // an unreachable server: reported, local session untouched, nothing thrown from the tick
    const offline = new ServerSyncedSession({
      storage: strata,
      tokens: tokenManager,
      endpoint: 'http://127.0.0.1:9/api/session/sync',
      timers,
    });
    const errors: string[] = [];
    stops.push(offline.on('error', (error) => errors.push(error.code)));
    const before = await offline.get();
    offline.start();
    await offline.syncNow(); // joins
    expect(errors).toHaveLength(1);
    timers.fire();
    await offline.syncNow(); // joins
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(['NETWORK', 'NETWORK']);
    expect(await offline.get()).toEqual(before);
    const failed = await offline.syncNow();
    expect(failed.status).toBe('failed');
    expect(JSON.stringify(failed)).not.toContain((await tokenManager.getAccessToken()) as string);
    offline.stop();
  });

  it('skips when there is no local session, and refuses bad input', async () => {
    const { strata, tokenManager } = await signedIn('empty');
    const sync = syncOf(strata, tokenManager);
    expect(await sync.syncNow()).toEqual({ status: 'skipped' });
    await expect(sync.set([] as unknown as Record<string, unknown>)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(sync.updateSessionData('a..b', 1)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(sync.updateSessionData('__proto__.x', 1)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    expect(() => new ServerSyncedSession({ storage: strata, interval: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
