import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyticsEvents, login, stats, uniqueUser } from '../setup/auth-client.js';
import { request, startServer, type TestServer } from './server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.server.close());

describe('POST /api/session/sync', () => {
  test("answers the server's view of the session for a valid token", async () => {
    const username = uniqueUser('sync');
    const { user, tokens } = await login(t.url, username);
    const answer = await request(t.url, '/api/session/sync', {
      token: tokens.accessToken,
      body: { session: { userId: user.id, roles: ['admin'], lastActivity: 1 } },
    });
    expect(answer).toMatchObject({
      status: 200,
      body: {
        session: {
          user,
          roles: ['user'],
          permissions: ['cart:write', 'profile:read'],
          serverTime: t.now(),
        },
      },
    });
    expect(t.server.stats(username).syncRequests).toBe(1);
  });

  test('answers 401 without a valid token and 400 without a session object', async () => {
    const { tokens } = await login(t.url, uniqueUser('sync-bad'));
    expect(await request(t.url, '/api/session/sync', { body: { session: {} } })).toMatchObject({
      status: 401,
      body: { error: 'invalid_token' },
    });
    expect(
      await request(t.url, '/api/session/sync', {
        token: tokens.accessToken,
        body: { session: 'x' },
      }),
    ).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });
});

describe('POST /api/analytics', () => {
  test('stores events by session and counts them for the Bearer user', async () => {
    const username = uniqueUser('analytics');
    const { tokens } = await login(t.url, username);
    const sessionId = uniqueUser('session');
    const events = [
      { sessionId, name: 'page_view', path: '/' },
      { sessionId, name: 'click', target: 'buy' },
    ];
    expect(
      await request(t.url, '/api/analytics', { token: tokens.accessToken, body: { events } }),
    ).toMatchObject({ status: 200, body: { received: 2 } });
    expect(await analyticsEvents(t.url, sessionId)).toEqual(events);
    expect((await stats(t.url, username)).analyticsEvents).toBe(2);
  });

  test('needs no auth; a body-level sessionId or userId attributes the events', async () => {
    const { user } = await login(t.url, uniqueUser('anon'));
    const sessionId = uniqueUser('beacon');
    // sendBeacon posts text/plain: the body is read as JSON whatever the Content-Type.
    const answer = await request(t.url, '/api/analytics', {
      body: JSON.stringify({ sessionId, userId: user.id, events: [{ name: 'end' }] }),
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    });
    expect(answer).toMatchObject({ status: 200, body: { received: 1 } });
    expect(await analyticsEvents(t.url, sessionId)).toEqual([{ name: 'end' }]);
    expect(t.server.stats(user.name).analyticsEvents).toBe(1);
  });

  test('rejects a body without an events array', async () => {
    expect(await request(t.url, '/api/analytics', { body: { events: 'x' } })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });

  test('answers 503 while the test control says offline', async () => {
    const before = t.server.stats().analyticsEvents;
    expect((await request(t.url, '/api/test/offline', { body: { offline: true } })).status).toBe(
      204,
    );
    expect(
      await request(t.url, '/api/analytics', { body: { events: [{ name: 'lost' }] } }),
    ).toMatchObject({ status: 503, body: { error: 'unavailable' } });
    expect((await request(t.url, '/api/test/offline', { body: { offline: false } })).status).toBe(
      204,
    );
    expect(t.server.stats().analyticsEvents).toBe(before);
    expect(
      (await request(t.url, '/api/analytics', { body: { events: [{ name: 'kept' }] } })).status,
    ).toBe(200);
  });
});
