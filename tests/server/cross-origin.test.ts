// Security issue 16: the server answered every Origin with its own name and credentials, and
// allowed Private Network Access, so a page on any origin could log in and read the tokens.
// Now only its own origin and `allowedOrigins` get CORS; any other Origin is refused with 403.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAuthServer } from '../../server/auth-server.mjs';
import { login, stats, uniqueUser } from '../setup/auth-client.js';
import { request, startServer, type TestServer } from './server.js';

const app = 'http://app.example:3000';
const evil = 'https://evil.example';
let t: TestServer;
beforeAll(async () => {
  t = await startServer({ allowedOrigins: [app] });
});
afterAll(() => t.server.close());

/** The access-control-* headers of an answer. */
const cors = (headers: Headers) =>
  Object.fromEntries([...headers].filter(([name]) => name.startsWith('access-control-')));

/** A preflight from `origin` for a JSON POST to `path`, asking for Private Network Access. */
const preflight = (url: string, path: string, origin: string) =>
  fetch(`${url}${path}`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
      'Access-Control-Request-Private-Network': 'true',
    },
  });

describe('a foreign Origin', () => {
  test.each([evil, 'null', 'http://127.0.0.1:1', `${app}.evil.example`, 'http://app.example'])(
    '%s gets no CORS header and 403 on login, refresh, logout and /api/me',
    async (origin) => {
      const username = uniqueUser('foreign');
      const { tokens } = await login(t.url, username);
      const headers = { Origin: origin };
      for (const answer of [
        await request(t.url, '/api/auth/login', {
          headers,
          body: { username, password: 'password' },
        }),
        await request(t.url, '/api/auth/refresh', {
          headers,
          body: { refreshToken: tokens.refreshToken },
        }),
        await request(t.url, '/api/auth/logout', {
          headers,
          body: { refreshToken: tokens.refreshToken },
        }),
        await request(t.url, '/api/me', { headers, token: tokens.accessToken }),
      ]) {
        expect(answer).toMatchObject({ status: 403, body: { error: 'origin_not_allowed' } });
        expect(cors(answer.headers)).toEqual({});
      }
      // Refused before any route ran: no login, no rotation, no revocation.
      expect(await stats(t.url, username)).toMatchObject({
        logins: 1,
        refreshRequests: 0,
        revokedFamilies: 0,
        meRequests: 0,
      });
    },
  );

  test('a preflight from it answers 403 with no CORS header at all', async () => {
    const answer = await preflight(t.url, '/api/auth/login', evil);
    expect(answer.status).toBe(403);
    expect(cors(answer.headers)).toEqual({});
  });
});

describe('allowed origins', () => {
  test('an allowed origin logs in and refreshes with credentials; its preflight never allows Private Network Access', async () => {
    const answer = await preflight(t.url, '/api/auth/refresh', app);
    expect(answer.status).toBe(204);
    expect(cors(answer.headers)).toMatchObject({
      'access-control-allow-origin': app,
      'access-control-allow-credentials': 'true',
    });
    expect(answer.headers.has('access-control-allow-private-network')).toBe(false);
    const username = uniqueUser('allowed');
    const logged = await request<{ tokens: { refreshToken: string } }>(t.url, '/api/auth/login', {
      headers: { Origin: app },
      body: { username, password: 'password' },
    });
    expect(logged.status).toBe(200);
    expect(logged.headers.get('access-control-allow-origin')).toBe(app);
    const refreshed = await request(t.url, '/api/auth/refresh', {
      headers: { Origin: app },
      body: { refreshToken: logged.body.tokens.refreshToken },
    });
    expect(refreshed.status).toBe(200);
  });

  test('no answer ever carries Access-Control-Allow-Private-Network, whatever the Origin', async () => {
    for (const origin of [app, evil, t.url]) {
      const answer = await preflight(t.url, '/api/me', origin);
      expect(answer.headers.has('access-control-allow-private-network')).toBe(false);
    }
  });

  test('by default only the server’s own origin is allowed: its URL and, on loopback, its port under each loopback name', async () => {
    const plain = await startServer();
    try {
      const { port } = plain.server;
      for (const own of [plain.url, `http://localhost:${port}`, `http://[::1]:${port}`]) {
        const answer = await request(plain.url, '/api/me', { headers: { Origin: own } });
        expect(answer.status).toBe(401);
        expect(answer.headers.get('access-control-allow-origin')).toBe(own);
      }
      for (const other of [app, `http://localhost:${port + 1}`, `https://127.0.0.1:${port}`]) {
        expect((await request(plain.url, '/api/me', { headers: { Origin: other } })).status).toBe(
          403,
        );
      }
    } finally {
      await plain.server.close();
    }
  });

  test('a function decides per request, besides the server’s own origin', async () => {
    const seen: string[] = [];
    const decided = await startServer({
      allowedOrigins: (origin) => (seen.push(origin), origin === app),
    });
    try {
      expect((await request(decided.url, '/api/me', { headers: { Origin: app } })).status).toBe(
        401,
      );
      expect((await request(decided.url, '/api/me', { headers: { Origin: evil } })).status).toBe(
        403,
      );
      expect(
        (await request(decided.url, '/api/me', { headers: { Origin: decided.url } })).status,
      ).toBe(401);
      expect(seen).toEqual([app, evil]);
    } finally {
      await decided.server.close();
    }
  });

  test('an entry that is not an origin of its own fails the start', async () => {
    for (const entry of ['not a url', 'file:///tmp/page.html', 'data:text/html,hi']) {
      await expect(createAuthServer({ allowedOrigins: [entry] })).rejects.toThrow(TypeError);
    }
  });

  test('requests without an Origin (not from a browser page) are not affected', async () => {
    const username = uniqueUser('no-origin');
    expect((await login(t.url, username)).user.name).toBe(username);
  });
});
