import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { login, uniqueUser } from '../setup/auth-client.js';
import { refresh, request, startServer, type TestServer } from './server.js';

const DAY = 86_400_000;
const zed = {
  id: 'u-zed',
  username: 'zed',
  password: 's3cret',
  name: 'Zed',
  roles: ['ops'],
  permissions: ['deploy'],
};
let t: TestServer;
let plain: TestServer;
beforeAll(async () => {
  t = await startServer();
  plain = await startServer({ testControls: false });
});
afterAll(async () => {
  await t.server.close();
  await plain.server.close();
});

describe('POST /api/auth/login', () => {
  test('a demo user logs in and gets the user and a Bearer token set', async () => {
    const answer = await request(plain.url, '/api/auth/login', {
      body: { username: 'alice', password: 'password' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      user: {
        id: 'u-alice',
        name: 'Alice Example',
        email: 'alice@example.com',
        roles: ['user'],
        permissions: ['cart:write', 'profile:read'],
      },
      tokens: {
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        idToken: expect.any(String),
        expiresIn: 900,
        refreshExpiresIn: 86_400,
        tokenType: 'Bearer',
      },
    });
  });

  test('there is no admin/admin (security issue 16): no admin user unless the users option adds one', async () => {
    for (const server of [plain, t]) {
      const answer = await request(server.url, '/api/auth/login', {
        body: { username: 'admin', password: 'admin' },
      });
      expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_credentials' } });
    }
  });

  test('a wrong password or unknown user answers 401 invalid_credentials', async () => {
    for (const body of [
      { username: 'alice', password: 'nope' },
      { username: 'nobody', password: 'password' },
    ]) {
      const answer = await request(plain.url, '/api/auth/login', { body });
      expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_credentials' } });
    }
    // The test password does not open a known user whose password is another.
    const withControls = await startServer({ users: [zed] });
    try {
      const answer = await request(withControls.url, '/api/auth/login', {
        body: { username: 'zed', password: 'password' },
      });
      expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_credentials' } });
    } finally {
      await withControls.server.close();
    }
  });

  test('missing credentials answer 400', async () => {
    const answer = await request(t.url, '/api/auth/login', { body: { username: 'alice' } });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  test('with test controls any username logs in with the password "password", as its own user', async () => {
    const a = await login(t.url, uniqueUser('a'));
    const b = await login(t.url, uniqueUser('b'));
    expect(a.user).toMatchObject({ roles: ['user'], permissions: ['cart:write', 'profile:read'] });
    expect(a.user.id).not.toBe(b.user.id);
    const again = await login(t.url, a.user.name);
    expect(again.user.id).toBe(a.user.id);
  });

  test('rememberMe gives the refresh token 30 days instead of one', async () => {
    const username = uniqueUser('remember');
    const short = await login(t.url, username);
    const long = await login(t.url, username, { rememberMe: true });
    expect(short.tokens.refreshExpiresIn).toBe(86_400);
    expect(long.tokens.refreshExpiresIn).toBe(30 * 86_400);
    t.advance(2 * DAY);
    expect((await refresh(t.url, short.tokens.refreshToken)).body).toEqual({
      error: 'invalid_grant',
    });
    expect((await refresh(t.url, long.tokens.refreshToken)).status).toBe(200);
  });

  test('the users option replaces the demo users', async () => {
    const custom = await startServer({ testControls: false, users: [zed] });
    try {
      const zed = await request(custom.url, '/api/auth/login', {
        body: { username: 'zed', password: 's3cret' },
      });
      expect(zed).toMatchObject({
        status: 200,
        body: { user: { id: 'u-zed', name: 'Zed', roles: ['ops'], permissions: ['deploy'] } },
      });
      expect(
        (
          await request(custom.url, '/api/auth/login', {
            body: { username: 'alice', password: 'password' },
          })
        ).status,
      ).toBe(401);
    } finally {
      await custom.server.close();
    }
  });

  test('accessTtl shortens the access lifetime only with test controls', async () => {
    const username = uniqueUser('ttl');
    expect((await login(t.url, username, { accessTtl: 5 })).tokens.expiresIn).toBe(5);
    const ignored = await request<{ tokens: { expiresIn: number } }>(plain.url, '/api/auth/login', {
      body: { username: 'alice', password: 'password', accessTtl: 5 },
    });
    expect(ignored.body.tokens.expiresIn).toBe(900);
    expect(
      (
        await request(t.url, '/api/auth/login', {
          body: { username, password: 'password', accessTtl: 0 },
        })
      ).status,
    ).toBe(400);
  });
});
