// The auth server started by the Vitest globalSetup is reachable from Chromium, cross-origin.
import { expect, inject, test } from 'vitest';
import { login, stats, uniqueUser } from '../setup/auth-client.js';

test('a page logs in and calls /api/me on the globalSetup auth server over CORS', async () => {
  const url = inject('authServerUrl');
  expect(new URL(url).origin).not.toBe(location.origin);
  const username = uniqueUser('reach');
  const { user, tokens } = await login(url, username);
  expect(user.roles).toEqual(['user']);

  const me = await fetch(`${url}/api/me`, {
    headers: { Authorization: `Bearer ${tokens.accessToken}` },
  });
  expect(me.status).toBe(200);
  expect(await me.json()).toEqual({ user });
  expect(await stats(url, username)).toMatchObject({ logins: 1, meRequests: 1 });
});
