// Helpers for tests that talk to the reference auth server (server/auth-server.mjs) with fetch.
// Work in Node and in the browser projects (the globalSetup allows the test page's origin).
import type { Stats } from '../../server/auth-server.mjs';

/** A user as the server returns it. */
export interface ServerUser {
  id: string;
  name: string;
  email?: string;
  roles: string[];
  permissions: string[];
}

/** The tokens of a login or refresh answer. */
export interface ServerTokens {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  expiresIn: number;
  refreshExpiresIn: number;
  tokenType: 'Bearer';
}

/** The body of a successful login or refresh. */
export interface LoginResult {
  user: ServerUser;
  tokens: ServerTokens;
}

export type { Stats };

async function call(url: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(
    `${url}${path}`,
    body === undefined
      ? {}
      : {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        },
  );
  if (!response.ok) throw new Error(`auth server ${path} answered HTTP ${response.status}`);
  return response;
}

/** A username unique to one test: `prefix-` plus 12 random hex digits. */
export function uniqueUser(prefix = 'user'): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Logs `username` in with the test password ('password'; any username works with test
 * controls on). `accessTtl` (seconds) shortens the access tokens of this login's family.
 */
export async function login(
  url: string,
  username: string,
  options: { rememberMe?: boolean; accessTtl?: number; password?: string } = {},
): Promise<LoginResult> {
  const { password = 'password', ...rest } = options;
  return (
    await call(url, '/api/auth/login', { username, password, ...rest })
  ).json() as Promise<LoginResult>;
}

/** The server's counters for `username` (totals without one). */
export async function stats(url: string, username?: string): Promise<Stats> {
  const query = username === undefined ? '' : `?username=${encodeURIComponent(username)}`;
  return (await call(url, `/api/test/stats${query}`)).json() as Promise<Stats>;
}

/**
 * The next `count` refresh requests of `username` answer `status` without rotating, with
 * the OAuth `error` code given (`null`: a body without one; the server's default otherwise).
 */
export async function failNextRefresh(
  url: string,
  username: string,
  count = 1,
  status = 503,
  error?: string | null,
): Promise<void> {
  await call(url, '/api/test/fail-next-refresh', { username, count, status, error });
}

/** Delays every refresh answer of `username` by `ms` (0 removes the delay). */
export async function refreshDelay(url: string, username: string, ms: number): Promise<void> {
  await call(url, '/api/test/refresh-delay', { username, ms });
}

/** Revokes every token family of `username`: its next refresh is `invalid_grant`. */
export async function revoke(url: string, username: string): Promise<number> {
  return ((await (await call(url, '/api/test/revoke', { username })).json()) as { revoked: number })
    .revoked;
}

/** The analytics events the server received for `sessionId`. */
export async function analyticsEvents(url: string, sessionId: string): Promise<unknown[]> {
  return (
    (await (
      await call(url, `/api/test/analytics?sessionId=${encodeURIComponent(sessionId)}`)
    ).json()) as { events: unknown[] }
  ).events;
}
