import { expect, test, openTabs, uniqueNamespace } from './tabs.js';

test('a harness page logs in through the /api proxy to the auth server and reads /api/me', async ({
  tabs,
}) => {
  const [tab] = await openTabs(tabs, 1);
  const username = uniqueNamespace('proxy');
  const result = await tab!.evaluate(async (username) => {
    const login = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, password: 'password' }),
    });
    const body = (await login.json()) as {
      user: { name: string };
      tokens: { accessToken: string; tokenType: string };
    };
    const me = await fetch('/api/me', {
      headers: { Authorization: `Bearer ${body.tokens.accessToken}` },
    });
    const stats = (await (
      await fetch(`/api/test/stats?username=${encodeURIComponent(username)}`)
    ).json()) as { logins: number; meRequests: number };
    return {
      status: login.status,
      name: body.user.name,
      tokenType: body.tokens.tokenType,
      meStatus: me.status,
      stats,
    };
  }, username);
  expect(result).toEqual({
    status: 200,
    name: username,
    tokenType: 'Bearer',
    meStatus: 200,
    stats: expect.objectContaining({ logins: 1, meRequests: 1 }),
  });
});
