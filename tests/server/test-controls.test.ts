import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  failNextRefresh,
  login,
  refreshDelay,
  revoke,
  stats,
  uniqueUser,
} from '../setup/auth-client.js';
import { refresh, request, startServer, type TestServer } from './server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.server.close());

/** Polls the server's counters until `check` holds. */
async function until(
  username: string,
  check: (s: Awaited<ReturnType<typeof stats>>) => boolean,
): Promise<void> {
  while (!check(await stats(t.url, username)))
    await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('test controls', () => {
  test('fail-next-refresh answers the status without rotating, then refreshes work again', async () => {
    const username = uniqueUser('fail');
    const { tokens } = await login(t.url, username);
    await failNextRefresh(t.url, username, 2, 503);
    expect(await refresh(t.url, tokens.refreshToken)).toMatchObject({
      status: 503,
      body: { error: 'unavailable' },
    });
    expect(await refresh(t.url, tokens.refreshToken)).toMatchObject({
      status: 503,
      body: { error: 'unavailable' },
    });
    // Not rotated: the same token still works, and is not counted as reuse.
    expect((await refresh(t.url, tokens.refreshToken)).status).toBe(200);
    expect(await stats(t.url, username)).toMatchObject({
      refreshRequests: 3,
      refreshes: 1,
      reuseDetected: 0,
    });
  });

  test('fail-next-refresh with 401 answers invalid_grant, also without rotating', async () => {
    const username = uniqueUser('fail401');
    const { tokens } = await login(t.url, username);
    await failNextRefresh(t.url, username, 1, 401);
    expect(await refresh(t.url, tokens.refreshToken)).toMatchObject({
      status: 401,
      body: { error: 'invalid_grant' },
    });
    expect((await refresh(t.url, tokens.refreshToken)).status).toBe(200);
  });

  test('fail-next-refresh answers the OAuth error code given, or a body without one for null', async () => {
    const username = uniqueUser('failcode');
    const { tokens } = await login(t.url, username);
    await failNextRefresh(t.url, username, 1, 401, 'invalid_client');
    expect(await refresh(t.url, tokens.refreshToken)).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    await failNextRefresh(t.url, username, 1, 400, null);
    const bare = await refresh(t.url, tokens.refreshToken);
    expect([bare.status, bare.body]).toEqual([400, {}]);
    expect(
      (
        await request(t.url, '/api/test/fail-next-refresh', {
          body: { username, error: 'Not a code' },
        })
      ).status,
    ).toBe(400);
  });

  test('fail-next-refresh only affects its user', async () => {
    const [a, b] = [uniqueUser('a'), uniqueUser('b')];
    const [la, lb] = [await login(t.url, a), await login(t.url, b)];
    await failNextRefresh(t.url, a, 1, 503);
    expect((await refresh(t.url, lb.tokens.refreshToken)).status).toBe(200);
    expect((await refresh(t.url, la.tokens.refreshToken)).status).toBe(503);
  });

  test('refresh-delay holds the answers, so concurrent callers pile up', async () => {
    const username = uniqueUser('delay');
    const { tokens } = await login(t.url, username);
    await refreshDelay(t.url, username, 1500);
    const started = performance.now();
    const pending = Promise.all([
      refresh(t.url, tokens.refreshToken),
      refresh(t.url, tokens.refreshToken),
    ]);
    await until(username, (s) => s.refreshRequests === 2);
    expect((await stats(t.url, username)).refreshes).toBe(0);
    const answers = await pending;
    expect(performance.now() - started).toBeGreaterThanOrEqual(1490);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    await refreshDelay(t.url, username, 0);
  });

  test('revoke kills every family of the user', async () => {
    const username = uniqueUser('revoke');
    const one = await login(t.url, username);
    const two = await login(t.url, username);
    expect(await revoke(t.url, username)).toBe(2);
    for (const { tokens } of [one, two]) {
      expect(await refresh(t.url, tokens.refreshToken)).toMatchObject({
        status: 401,
        body: { error: 'invalid_grant' },
      });
    }
    expect((await stats(t.url, username)).revokedFamilies).toBe(2);
  });

  test('stats without a username are the totals; an unknown user has zeros', async () => {
    const totals = await stats(t.url);
    expect(totals.logins).toBeGreaterThanOrEqual(7);
    expect(await stats(t.url, uniqueUser('nobody'))).toEqual({
      logins: 0,
      refreshRequests: 0,
      refreshes: 0,
      reuseDetected: 0,
      revokedFamilies: 0,
      meRequests: 0,
      syncRequests: 0,
      analyticsEvents: 0,
      lastRefreshAt: null,
    });
  });

  test('bad control bodies answer 400', async () => {
    expect(
      (
        await request(t.url, '/api/test/fail-next-refresh', {
          body: { username: 'x', status: 200 },
        })
      ).status,
    ).toBe(400);
    expect(
      (await request(t.url, '/api/test/refresh-delay', { body: { username: 'x', ms: -1 } })).status,
    ).toBe(400);
    expect((await request(t.url, '/api/test/revoke', { body: {} })).status).toBe(400);
  });

  test('without testControls the controls and auto-created users do not exist', async () => {
    const plain = await startServer({ testControls: false });
    try {
      expect(await request(plain.url, '/api/test/stats')).toMatchObject({
        status: 404,
        body: { error: 'not_found' },
      });
      expect(
        (await request(plain.url, '/api/test/revoke', { body: { username: 'alice' } })).status,
      ).toBe(404);
    } finally {
      await plain.server.close();
    }
  });
});
