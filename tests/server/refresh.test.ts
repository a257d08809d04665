import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { login, stats, uniqueUser } from '../setup/auth-client.js';
import { refresh, request, startServer, type TestServer } from './server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.server.close());

type Tokens = { accessToken: string; refreshToken: string; expiresIn: number };

describe('POST /api/auth/refresh', () => {
  test('rotates: answers the user and a new token set, with a new refresh token', async () => {
    const username = uniqueUser('rotate');
    const first = await login(t.url, username);
    const answer = await refresh(t.url, first.tokens.refreshToken);
    expect(answer.status).toBe(200);
    expect(answer.body.user).toEqual(first.user);
    const tokens = answer.body.tokens as Tokens;
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 86_400 });
    expect(tokens.refreshToken).not.toBe(first.tokens.refreshToken);
    expect(tokens.accessToken).not.toBe(first.tokens.accessToken);
    expect((await refresh(t.url, tokens.refreshToken)).status).toBe(200);
    expect(await stats(t.url, username)).toMatchObject({
      logins: 1,
      refreshRequests: 2,
      refreshes: 2,
      reuseDetected: 0,
      lastRefreshAt: t.now(),
    });
  });

  test('reusing a rotated token is detected at once and revokes the whole family', async () => {
    const username = uniqueUser('reuse');
    const first = await login(t.url, username);
    const rotated = (await refresh(t.url, first.tokens.refreshToken)).body.tokens as Tokens;
    expect(await refresh(t.url, first.tokens.refreshToken)).toMatchObject({
      status: 401,
      body: { error: 'invalid_grant', reason: 'reuse_detected' },
    });
    // The legitimate newest token is dead too, and so are the family's access tokens.
    expect(await refresh(t.url, rotated.refreshToken)).toMatchObject({
      status: 401,
      body: { error: 'invalid_grant' },
    });
    expect((await request(t.url, '/api/me', { token: rotated.accessToken })).status).toBe(401);
    expect(await stats(t.url, username)).toMatchObject({
      refreshes: 1,
      reuseDetected: 1,
      revokedFamilies: 1,
    });
    // Another login of the same user is a separate family and unaffected.
    const other = await login(t.url, username);
    expect((await refresh(t.url, other.tokens.refreshToken)).status).toBe(200);
  });

  test('two concurrent refreshes with one token: one rotates, the other is reuse', async () => {
    const username = uniqueUser('race');
    const { tokens } = await login(t.url, username);
    const answers = await Promise.all([
      refresh(t.url, tokens.refreshToken),
      refresh(t.url, tokens.refreshToken),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    expect(t.server.stats(username)).toMatchObject({ refreshes: 1, reuseDetected: 1 });
  });

  test('an unknown, empty or missing token answers invalid_grant', async () => {
    for (const body of [
      { refreshToken: 'x'.repeat(43) },
      { refreshToken: '' },
      {},
      { refreshToken: 42 },
    ]) {
      expect(await request(t.url, '/api/auth/refresh', { body })).toMatchObject({
        status: 401,
        body: { error: 'invalid_grant' },
      });
    }
  });

  test('a refresh token expires by the server clock', async () => {
    const { tokens } = await login(t.url, uniqueUser('expire'));
    t.advance(86_400_000);
    expect(await refresh(t.url, tokens.refreshToken)).toMatchObject({
      status: 401,
      body: { error: 'invalid_grant' },
    });
  });

  test('each rotation gives the new refresh token a full lifetime from the refresh', async () => {
    const first = await login(t.url, uniqueUser('slide'));
    t.advance(86_000_000);
    const second = (await refresh(t.url, first.tokens.refreshToken)).body.tokens as Tokens;
    t.advance(86_000_000);
    expect((await refresh(t.url, second.refreshToken)).status).toBe(200);
  });

  test('an accessTtl given at login or refresh sticks to the family', async () => {
    const first = await login(t.url, uniqueUser('ttl'), { accessTtl: 7 });
    const second = (await refresh(t.url, first.tokens.refreshToken)).body.tokens as Tokens;
    expect(second.expiresIn).toBe(7);
    const third = (await refresh(t.url, second.refreshToken, { accessTtl: 3 })).body
      .tokens as Tokens;
    expect(third.expiresIn).toBe(3);
    expect(((await refresh(t.url, third.refreshToken)).body.tokens as Tokens).expiresIn).toBe(3);
  });
});

describe('POST /api/auth/logout', () => {
  test('revokes the family: its refresh and access tokens stop working', async () => {
    const username = uniqueUser('logout');
    const { tokens } = await login(t.url, username);
    expect(
      (await request(t.url, '/api/auth/logout', { body: { refreshToken: tokens.refreshToken } }))
        .status,
    ).toBe(204);
    expect(await refresh(t.url, tokens.refreshToken)).toMatchObject({
      status: 401,
      body: { error: 'invalid_grant' },
    });
    expect((await request(t.url, '/api/me', { token: tokens.accessToken })).status).toBe(401);
    expect(t.server.stats(username)).toMatchObject({ revokedFamilies: 1, reuseDetected: 0 });
  });

  test('an unknown token is fine', async () => {
    expect(
      (await request(t.url, '/api/auth/logout', { body: { refreshToken: 'unknown' } })).status,
    ).toBe(204);
    expect((await request(t.url, '/api/auth/logout', { body: {} })).status).toBe(204);
  });
});
