// Security issue 16: logins had no rate limit, so a password could be guessed as fast as the
// server answered. Failures are counted per username and per client address over a minute on
// the server clock (moved by the test: no sleeping).
import { afterEach, describe, expect, test } from 'vitest';
import { LOGIN_LIMIT } from '../../server/auth-server.mjs';
import { uniqueUser } from '../setup/auth-client.js';
import { request, startServer, type TestServer } from './server.js';

const MINUTE = 60_000;
let t: TestServer | undefined;
afterEach(async () => {
  await t?.server.close();
  t = undefined;
});

/** Starts a server (with `options`) whose only user is `username` with the password 'right'. */
async function serverWith(
  username: string,
  options: Parameters<typeof startServer>[0] = {},
): Promise<TestServer> {
  const user = { id: 'u-limited', username, password: 'right', name: username };
  t = await startServer({
    testControls: false,
    users: [{ ...user, roles: [], permissions: [] }],
    ...options,
  });
  return t;
}

const attempt = (server: TestServer, username: string, password: string) =>
  request(server.url, '/api/auth/login', { body: { username, password } });

/** `count` wrong passwords for `username`, each answered 401. */
async function fail(server: TestServer, username: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect((await attempt(server, username, `wrong-${i}`)).status).toBe(401);
  }
}

describe('login rate limit', () => {
  test('defaults: 5 failures per username, 20 per address, per minute', () => {
    expect(LOGIN_LIMIT).toEqual({ perUsername: 5, perAddress: 20, windowMs: MINUTE });
  });

  test('the 6th wrong password within a minute answers 429 with Retry-After, and so does the right one', async () => {
    const username = uniqueUser('guessed');
    const server = await serverWith(username);
    await fail(server, username, 5);
    server.advance(10_000);
    const sixth = await attempt(server, username, 'wrong-6');
    expect(sixth).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
    // The first failure leaves the window 50 s from now.
    expect(sixth.headers.get('retry-after')).toBe('50');
    expect(await attempt(server, username, 'right')).toMatchObject({ status: 429 });
    server.advance(49_999);
    expect((await attempt(server, username, 'right')).status).toBe(429);
    server.advance(1);
    expect((await attempt(server, username, 'right')).status).toBe(200);
  });

  test('refused attempts do not extend the lock; a success forgets the username’s failures', async () => {
    const username = uniqueUser('reset');
    const server = await serverWith(username);
    await fail(server, username, 5);
    server.advance(MINUTE / 2);
    for (let i = 0; i < 3; i++) expect((await attempt(server, username, 'x')).status).toBe(429);
    server.advance(MINUTE / 2);
    expect((await attempt(server, username, 'right')).status).toBe(200);
    await fail(server, username, 5);
    expect((await attempt(server, username, 'right')).status).toBe(429);
  });

  test('unknown usernames are limited alike (no way to tell them apart by the limit)', async () => {
    const server = await serverWith(uniqueUser('known'));
    const unknown = uniqueUser('unknown');
    await fail(server, unknown, 5);
    expect((await attempt(server, unknown, 'password')).status).toBe(429);
  });

  test('one address spraying usernames is limited after 20 failures, even with a right password', async () => {
    const username = uniqueUser('sprayed');
    const server = await serverWith(username);
    for (let i = 0; i < 20; i++) await fail(server, uniqueUser(`spray${i}`), 1);
    const blocked = await attempt(server, username, 'right');
    expect(blocked).toMatchObject({ status: 429, body: { error: 'too_many_attempts' } });
    expect(blocked.headers.get('retry-after')).toBe('60');
    server.advance(MINUTE);
    expect((await attempt(server, username, 'right')).status).toBe(200);
  });

  test('the loginLimit option changes the limits', async () => {
    const username = uniqueUser('strict');
    const server = await serverWith(username, { loginLimit: { perUsername: 1, windowMs: 1000 } });
    await fail(server, username, 1);
    expect((await attempt(server, username, 'right')).headers.get('retry-after')).toBe('1');
    server.advance(1000);
    expect((await attempt(server, username, 'right')).status).toBe(200);
  });
});
