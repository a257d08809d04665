// Shared setup of the auth-server tests: a server on a random port with a clock the test moves.
import {
  createAuthServer,
  type AuthServer,
  type AuthServerOptions,
} from '../../server/auth-server.mjs';

/** A server with test controls on and a settable clock. */
export interface TestServer {
  server: AuthServer;
  url: string;
  /** Moves the server clock forward by `ms`. */
  advance(ms: number): void;
  /** The server clock (epoch ms). */
  now(): number;
}

/** Starts a server (test controls on unless `options` say otherwise) whose clock starts at `start`. */
export async function startServer(
  options: AuthServerOptions = {},
  start = Date.now(),
): Promise<TestServer> {
  let now = start;
  const server = await createAuthServer({ testControls: true, clock: () => now, ...options });
  return {
    server,
    url: server.url,
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
  };
}

/** A JSON answer: status, headers and parsed body (undefined when empty). */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Sends a request and reads the JSON answer. `body` strings are sent as-is. */
export async function request<T = Record<string, unknown>>(
  url: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.Authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['Content-Type'] ??= 'application/json';
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  }
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
  };
}

/** POSTs `{ refreshToken }` to /api/auth/refresh. */
export function refresh(
  url: string,
  refreshToken: string,
  extra: Record<string, unknown> = {},
): Promise<Answer> {
  return request(url, '/api/auth/refresh', { body: { refreshToken, ...extra } });
}
