import { StrataError } from '../errors.js';
import type { SessionUser } from './auth-session.js';
import type { TokenResponse } from './token-manager.js';

/** Options of {@link httpRefresh} and {@link httpRestore}. */
export interface HttpRefreshOptions {
  fetch?: typeof fetch;
  init?: RequestInit;
  /** Milliseconds to wait for the answer before failing with `TIMEOUT` (a refresh holds the cross-tab lock meanwhile). Default 15,000. */
  timeout?: number;
}

/** What a refresh endpoint answers: `{ tokens, user }`, or the token fields at the top level. */
type RefreshBody = { tokens?: TokenResponse; user?: Record<string, unknown> } & Partial<TokenResponse>;

/**
 * A `refresh` function for {@link TokenManager} that POSTs `{ refreshToken }` as JSON to
 * `url` and reads `{ tokens: { accessToken, refreshToken, idToken, expiresIn } }` or the
 * same fields at the top level. 400/401 throw `INVALID_GRANT`; other failures
 * `REFRESH_FAILED` or `NETWORK`, none with a token in the message.
 */
export function httpRefresh(url: string, options: HttpRefreshOptions = {}): (refreshToken: string) => Promise<TokenResponse> {
  return async (refreshToken) => tokensOf(await postRefresh(url, refreshToken, options));
}

/**
 * A `restore` function for {@link AuthSession}: the same request as {@link httpRefresh},
 * answering `{ user, tokens }`. The user's `userId` is taken from `userId`, `id` or `sub`.
 */
export function httpRestore(url: string, options: HttpRefreshOptions = {}): (refreshToken: string) => Promise<{ user: SessionUser; tokens: TokenResponse }> {
  return async (refreshToken) => {
    const body = await postRefresh(url, refreshToken, options);
    const user = body.user ?? {};
    const userId = user.userId ?? user.id ?? user.sub;
    if (typeof userId !== 'string' || userId === '') throw new StrataError('REFRESH_FAILED', 'The refresh response has no user with an id.');
    return { user: { ...user, userId }, tokens: tokensOf(body) };
  };
}

/**
 * A `revoke` function for {@link TokenManager}: POSTs `{ refreshToken }` to a logout
 * endpoint so the server revokes the token's family. Rejects with `NETWORK` or
 * `REFRESH_FAILED` (the TokenManager ignores a failed revoke and signs out anyway).
 */
export function httpRevoke(url: string, options: HttpRefreshOptions = {}): (refreshToken: string) => Promise<void> {
  return async (refreshToken) => {
    const response = await send(url, refreshToken, options);
    if (!response.ok) throw new StrataError('REFRESH_FAILED', `The logout request failed (HTTP ${response.status}).`);
  };
}

async function send(url: string, refreshToken: string, options: HttpRefreshOptions): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeout = options.timeout ?? 15_000;
  const timer = AbortSignal.timeout(timeout);
  const own = options.init?.signal;
  try {
    return await doFetch(url, {
      method: 'POST',
      ...options.init,
      headers: { 'Content-Type': 'application/json', ...(options.init?.headers as Record<string, string> | undefined) },
      body: JSON.stringify({ refreshToken }),
      signal: own ? (typeof AbortSignal.any === 'function' ? AbortSignal.any([own, timer]) : own) : timer,
    });
  } catch (error) {
    if (timer.aborted) throw new StrataError('TIMEOUT', `The server did not answer within ${timeout} ms.`);
    throw new StrataError('NETWORK', 'The request did not reach the server.', { cause: error instanceof Error ? new Error(error.message) : undefined });
  }
}

async function postRefresh(url: string, refreshToken: string, options: HttpRefreshOptions): Promise<RefreshBody> {
  const response = await send(url, refreshToken, options);
  if (response.status === 400 || response.status === 401) throw new StrataError('INVALID_GRANT', `The server rejected the refresh token (HTTP ${response.status}).`);
  if (!response.ok) throw Object.assign(new StrataError('REFRESH_FAILED', `The refresh request failed (HTTP ${response.status}).`), { status: response.status });
  try {
    return (await response.json()) as RefreshBody;
  } catch {
    throw new StrataError('REFRESH_FAILED', 'The refresh response is not JSON.');
  }
}

function tokensOf(body: RefreshBody): TokenResponse {
  const tokens = body.tokens ?? (body as TokenResponse);
  if (typeof tokens.accessToken !== 'string') throw new StrataError('REFRESH_FAILED', 'The refresh response has no accessToken.');
  return tokens;
}
