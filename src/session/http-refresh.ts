import { StrataError } from '../errors.js';
import { platformTimers } from '../timers.js';
import type { SessionUser } from './auth-types.js';
import { isOAuthErrorCode, meansGrantRejected } from './grant-rejection.js';
import type { TokenResponse } from './token-manager.js';

/** Options of {@link httpRefresh}, {@link httpRestore} and {@link httpRevoke}. */
export interface HttpRefreshOptions {
  /** The fetch to send with. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /**
   * Merged into every request (`credentials`, `mode`, a `method` other than POST, an abort
   * `signal`, …); its `headers` are added to `Content-Type: application/json`. The `body` is
   * always the SDK's, and the signal the SDK's timeout joined with yours.
   */
  init?: RequestInit;
  /**
   * Milliseconds to wait for the answer before failing with `TIMEOUT` (a refresh holds the
   * cross-tab lock meanwhile). Default 15,000.
   */
  timeout?: number;
}

/** What a refresh endpoint answers: `{ tokens, user }`, or the token fields at the top level. */
type RefreshBody = {
  tokens?: TokenResponse;
  user?: Record<string, unknown>;
} & Partial<TokenResponse>;

/**
 * A `refresh` function for {@link TokenManager}, for a backend that speaks the SDK's own JSON
 * shape (not an OAuth token endpoint: that is `OAuthClient` from `strata-storage/oauth`). What
 * it sends, exactly: `POST url` with `Content-Type: application/json` (plus `init.headers`) and
 * the body `{"refreshToken":"<the refresh token>"}`; no `grant_type`, no `client_id`, no
 * `Authorization` header, no cookie unless `init.credentials` says so. It reads
 * `{ tokens: { accessToken, refreshToken, idToken, expiresIn } }` or the same fields at the top
 * level. A 400/401 throws `INVALID_GRANT` unless its OAuth error code blames the client
 * (`invalid_client`, `invalid_request`, …: `REFRESH_FAILED`, the token is kept); other failures
 * `REFRESH_FAILED`, `NETWORK` or `TIMEOUT`, none with a token in the message.
 */
export function httpRefresh(
  url: string,
  options: HttpRefreshOptions = {},
): (refreshToken: string) => Promise<TokenResponse> {
  return async (refreshToken) => tokensOf(await postRefresh(url, refreshToken, options));
}

/**
 * A `restore` function for {@link AuthSession}: exactly the request of {@link httpRefresh}
 * (`POST url`, JSON body `{"refreshToken":"…"}`), answering `{ user, tokens }`. The user's
 * `userId` is taken from `userId`, `id` or `sub`; no user with one is `REFRESH_FAILED`.
 */
export function httpRestore(
  url: string,
  options: HttpRefreshOptions = {},
): (refreshToken: string) => Promise<{ user: SessionUser; tokens: TokenResponse }> {
  return async (refreshToken) => {
    const body = await postRefresh(url, refreshToken, options);
    const user = body.user ?? {};
    const userId = user.userId ?? user.id ?? user.sub;
    if (typeof userId !== 'string' || userId === '')
      throw new StrataError('REFRESH_FAILED', 'The refresh response has no user with an id.');
    return { user: { ...user, userId }, tokens: tokensOf(body) };
  };
}

/**
 * A `revoke` function for {@link TokenManager}: the request of {@link httpRefresh} (`POST url`,
 * JSON body `{"refreshToken":"…"}`) to a logout endpoint, so the server revokes the token's
 * family; not RFC 7009 (that is `OAuthClient`). Any 2xx is success. Otherwise it rejects with
 * `REVOCATION_FAILED` (a non-2xx answer, its HTTP status in the message), `NETWORK` or `TIMEOUT`,
 * naming no token; the TokenManager signs out everywhere anyway, then `clear()` (and
 * `AuthSession.logout()`) rejects with that error, so a token the server may still honour is
 * never dropped silently.
 */
export function httpRevoke(
  url: string,
  options: HttpRefreshOptions = {},
): (refreshToken: string) => Promise<void> {
  return (refreshToken) =>
    post(url, refreshToken, options, async (response) => {
      if (!response.ok)
        throw Object.assign(
          new StrataError(
            'REVOCATION_FAILED',
            `The logout request failed (HTTP ${response.status}); the refresh token may still be valid at the server.`,
          ),
          { status: response.status },
        );
    });
}

/**
 * POSTs `{ refreshToken }` to `url` and hands the response to `read`, all within
 * `options.timeout` (`TIMEOUT` after it; the caller's own `init.signal` still aborts).
 */
async function post<T>(
  url: string,
  refreshToken: string,
  options: HttpRefreshOptions,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeout = options.timeout ?? 15_000;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0)
    throw new StrataError('INVALID_OPTIONS', 'timeout must be a positive number of milliseconds.');
  const controller = new AbortController();
  let timedOut = false;
  const timer = platformTimers.setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeout);
  const own = options.init?.signal;
  if (own?.aborted) controller.abort();
  own?.addEventListener('abort', () => controller.abort(), { once: true });
  try {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        ...options.init,
        headers: {
          'Content-Type': 'application/json',
          ...(options.init?.headers as Record<string, string> | undefined),
        },
        body: JSON.stringify({ refreshToken }),
        signal: controller.signal,
      });
    } catch (error) {
      if (timedOut) throw timeoutError(timeout);
      throw new StrataError('NETWORK', 'The request did not reach the server.', {
        cause: error instanceof Error ? new Error(error.message) : undefined,
      });
    }
    try {
      return await read(response);
    } catch (error) {
      throw timedOut ? timeoutError(timeout) : error;
    }
  } finally {
    platformTimers.clearTimeout(timer);
  }
}

function timeoutError(timeout: number): StrataError {
  return new StrataError('TIMEOUT', `The server did not answer within ${timeout} ms.`);
}

function postRefresh(
  url: string,
  refreshToken: string,
  options: HttpRefreshOptions,
): Promise<RefreshBody> {
  return post(url, refreshToken, options, async (response) => {
    if (response.status === 400 || response.status === 401) {
      const oauthError = await oauthErrorOf(response);
      const named = oauthError === undefined ? '' : `, ${oauthError}`;
      if (meansGrantRejected(response.status, oauthError))
        throw new StrataError(
          'INVALID_GRANT',
          `The server rejected the refresh token (HTTP ${response.status}${named}).`,
        );
      throw Object.assign(
        new StrataError(
          'REFRESH_FAILED',
          `The refresh request was refused (HTTP ${response.status}${named}); token kept.`,
        ),
        { status: response.status, error: oauthError },
      );
    }
    if (!response.ok)
      throw Object.assign(
        new StrataError('REFRESH_FAILED', `The refresh request failed (HTTP ${response.status}).`),
        { status: response.status },
      );
    try {
      return (await response.json()) as RefreshBody;
    } catch {
      throw new StrataError('REFRESH_FAILED', 'The refresh response is not JSON.');
    }
  });
}

/** The OAuth `error` code of an error answer, when it has one. */
async function oauthErrorOf(response: Response): Promise<string | undefined> {
  try {
    const { error } = (await response.json()) as { error?: unknown };
    return isOAuthErrorCode(error) ? error : undefined;
  } catch {
    return undefined;
  }
}

function tokensOf(body: RefreshBody): TokenResponse {
  const tokens = body.tokens ?? (body as TokenResponse);
  if (typeof tokens.accessToken !== 'string')
    throw new StrataError('REFRESH_FAILED', 'The refresh response has no accessToken.');
  return tokens;
}
