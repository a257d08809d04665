import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import {
  AuthSession,
  httpRefresh,
  httpRestore,
  httpRevoke,
  TokenManager,
  type Strata,
  type StrataLike,
  type TokenEvents,
  type TokenManagerOptions,
} from 'strata-storage';
import { login, stats, uniqueUser } from '../../setup/auth-client.js';
import { deferred, makeStrata, uniqueNamespace } from '../helpers.js';

// Several "tabs" in one page: a Strata per tab on one namespace with sync on (their
// BroadcastChannels deliver to each other), real Web Locks, the reference auth server.
const server = inject('authServerUrl');
const realRefresh = httpRefresh(`${server}/api/auth/refresh`);
const realRestore = httpRestore(`${server}/api/auth/refresh`);

const open: Strata[] = [];
const managers: TokenManager[] = [];
const sessions: AuthSession[] = [];
afterEach(async () => {
  managers.splice(0).forEach((manager) => manager.dispose());
  sessions.splice(0).forEach((session) => session.dispose());
  await Promise.all(open.splice(0).map((strata) => strata.close()));
});

/** `count` tabs on one fresh namespace. */
async function tabs(count: number): Promise<Strata[]> {
  const namespace = uniqueNamespace('tabs');
  const list = Array.from({ length: count }, () => {
    const { strata } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      encryption: { enabled: true },
      sync: { enabled: true },
    });
    open.push(strata);
    return strata;
  });
  await Promise.all(list.map((strata) => strata.ready()));
  return list;
}

function manager(storage: StrataLike, options: Partial<TokenManagerOptions> = {}): TokenManager {
  const tokens = new TokenManager({ storage, refresh: realRefresh, proactive: false, ...options });
  managers.push(tokens);
  return tokens;
}

/**
 * A tab whose storage reads are slow: while held, every read waits until the next change of
 * the access record from another tab has been told to its subscribers (the broadcast
 * outruns the reads it triggers).
 */
function slowReads(strata: Strata): { storage: StrataLike; holdUntilAccessArrives(): void } {
  let gate: Promise<void> | undefined;
  const storage: StrataLike = {
    get namespace() {
      return strata.namespace;
    },
    get: async (key) => {
      await gate;
      return strata.get(key);
    },
    set: (key, value, options) => strata.set(key, value, options),
    remove: (key) => strata.remove(key),
    keys: (pattern) => strata.keys(pattern),
    clear: (filter) => strata.clear(filter),
    getTTL: (key) => strata.getTTL(key),
    info: (key) => strata.info(key),
    subscribe: (pattern, listener) => strata.subscribe(pattern, listener),
    on: (event, handler) => strata.on(event, handler),
    destroyKey: () => strata.destroyKey(),
  };
  return {
    storage,
    holdUntilAccessArrives() {
      gate = new Promise((resolve) => {
        const stop = strata.subscribe('auth:tokens:access', (change) => {
          if (change.source !== 'remote' || change.newValue === null) return;
          stop();
          gate = undefined;
          resolve();
        });
      });
    },
  };
}

async function signIn(label: string) {
  const user = uniqueUser(label);
  const { tokens: issued } = await login(server, user);
  return { user, issued };
}

describe('refreshes across tabs', () => {
  it('every tab hears every refresh and reports its status, even when its reads lag behind the broadcast', async () => {
    const { user, issued } = await signIn('hear-all');
    const [tabA, tabB, tabC] = await tabs(3);
    const slow = slowReads(tabC!);
    const all = [manager(tabA!), manager(tabB!), manager(slow.storage)];
    const heard = all.map((tokens) => {
      const events: Array<TokenEvents['refreshed']['by']> = [];
      tokens.on('refreshed', ({ by }) => events.push(by));
      return events;
    });
    await all[0]!.setTokens(issued);
    for (const tokens of all) expect(await tokens.getAccessToken()).toBe(issued.accessToken);
    // Each tab refreshes once; tab C's reads are slow whenever another tab refreshed.
    for (const [index, tokens] of all.entries()) {
      if (index !== 2) slow.holdUntilAccessArrives();
      const fresh = await tokens.refresh({ force: true });
      await vi.waitFor(() => {
        for (const [other, events] of heard.entries())
          expect(events, `tab ${other} after refresh ${index}`).toHaveLength(index + 1);
      });
      for (const other of all)
        expect(other.status()).toMatchObject({
          isValid: true,
          expiresAt: fresh.expiresAt,
          lastRefreshAt: fresh.lastRefreshAt,
        });
    }
    expect(heard).toEqual([
      ['this-tab', 'other-tab', 'other-tab'],
      ['other-tab', 'this-tab', 'other-tab'],
      ['other-tab', 'other-tab', 'this-tab'],
    ]);
    expect(await stats(server, user)).toMatchObject({ refreshes: 3, reuseDetected: 0 });
  });
});

describe('a sign-out in another tab voids a refresh or restore in flight', () => {
  it("tab B's refresh() rejects with NOT_AUTHENTICATED, never resolves with the token tab A's logout made void", async () => {
    const { user, issued } = await signIn('void-refresh');
    const [tabA, tabB] = await tabs(2);
    const sent = deferred();
    const answer = deferred();
    const a = manager(tabA!, { revoke: httpRevoke(`${server}/api/auth/logout`) });
    const b = manager(tabB!, {
      refresh: async (token) => {
        sent.resolve();
        await answer.promise;
        return realRefresh(token);
      },
    });
    await a.setTokens(issued);
    expect(await b.getAccessToken()).toBe(issued.accessToken);
    const refreshing = b.refresh({ force: true }).then(
      (held) => ({ resolved: held.accessToken }),
      (error: unknown) => ({ rejected: error }),
    );
    await sent.promise; // tab B's refresh holds the lock and is about to call the server
    const clearing = a.clear(); // tab A signs out meanwhile
    answer.resolve();
    expect(await refreshing).toEqual({
      rejected: expect.objectContaining({ code: 'NOT_AUTHENTICATED' }),
    });
    await clearing;
    await vi.waitFor(() => expect(b.status().isValid).toBe(false));
    expect(await b.getAccessToken()).toBeNull();
    expect(await a.getAccessToken()).toBeNull();
    expect(await tabB!.keys('auth:')).toEqual([]);
    expect(await stats(server, user)).toMatchObject({ reuseDetected: 0 });
  });

  it("tab B's getAccessToken() gives null, not the refreshed token, when tab A signs out during the refresh", async () => {
    const { issued } = await signIn('void-access');
    const [tabA, tabB] = await tabs(2);
    const sent = deferred();
    const answer = deferred();
    const a = manager(tabA!);
    const b = manager(tabB!, {
      // 14.5 minutes ahead: the 15-minute token is still valid here, and due for a refresh.
      clock: () => Date.now() + 870_000,
      refresh: async (token) => {
        sent.resolve();
        await answer.promise;
        return realRefresh(token);
      },
    });
    await a.setTokens(issued);
    expect(await b.getTokens()).toMatchObject({ accessToken: issued.accessToken });
    expect(b.status()).toMatchObject({ isValid: true, needsRefresh: true });
    const access = b.getAccessToken();
    await sent.promise;
    const clearing = a.clear();
    answer.resolve();
    expect(await access).toBeNull();
    await clearing;
  });

  it("tab B's restore (with a TokenManager) resolves null when tab A logs out while it is in flight", async () => {
    const { issued } = await signIn('void-restore');
    const [tabA, tabB] = await tabs(2);
    const sent = deferred();
    const answer = deferred();
    const tokensA = manager(tabA!);
    const tokensB = manager(tabB!);
    const authA = new AuthSession({ storage: tabA!, tokens: tokensA, browserSession: () => 'b1' });
    const authB = new AuthSession({
      storage: tabB!,
      tokens: tokensB,
      browserSession: () => 'b1',
      restore: async (token) => {
        sent.resolve();
        await answer.promise;
        return realRestore(token);
      },
    });
    sessions.push(authA, authB);
    await tokensA.setTokens(issued); // a refresh token and no session: tab B's getSession() restores
    const restoring = authB.getSession();
    await sent.promise;
    const loggingOut = authA.logout();
    answer.resolve();
    expect(await restoring).toBeNull();
    await loggingOut;
    expect(await authB.getSession()).toBeNull();
    expect(authB.getState().status).toBe('unauthenticated');
    expect(await tabB!.keys('auth')).toEqual([]);
  });

  it("tab B's restore (without a TokenManager) resolves null when tab A logs out while it is in flight", async () => {
    const { issued } = await signIn('void-restore-plain');
    const [tabA, tabB] = await tabs(2);
    const sent = deferred();
    const answer = deferred();
    const authA = new AuthSession({ storage: tabA!, browserSession: () => 'b1' });
    const authB = new AuthSession({
      storage: tabB!,
      browserSession: () => 'b1',
      restore: async (token) => {
        sent.resolve();
        await answer.promise;
        return realRestore(token);
      },
    });
    sessions.push(authA, authB);
    await tabA!.set('auth:refresh-token', issued.refreshToken, { encrypt: true, tags: ['auth'] });
    const restoring = authB.getSession();
    await sent.promise;
    const loggingOut = authA.logout();
    answer.resolve();
    expect(await restoring).toBeNull();
    await loggingOut;
    expect(await authB.getSession()).toBeNull();
    expect(authB.getState().status).toBe('unauthenticated');
    expect(await tabB!.keys('auth')).toEqual([]);
  });
});
