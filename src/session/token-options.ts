import { StrataError } from '../errors.js';
import type { Timers } from '../timers.js';
import type { StrataLike } from './strata-like.js';
import type { TokenResponse } from './token-types.js';

/**
 * What a {@link TokenManager} uses of an `OAuthClient` (`strata-storage/oauth`): the refresh grant,
 * the sign-out (RFC 7009 revocation, DPoP key destroyed) and resource calls (Bearer or DPoP).
 */
export interface TokenManagerOAuth {
  /** The RFC 6749 §6 refresh grant: the server's answer as a {@link TokenResponse}. */
  refreshTokens(refreshToken: string): Promise<TokenResponse>;
  /** Sign-out at the server: revokes the refresh token (RFC 7009) and drops any DPoP key. */
  signOut(refreshToken?: string): Promise<void>;
  /** A resource request with `accessToken` in the scheme the token asks for (Bearer or DPoP). */
  resourceFetch(
    accessToken: string,
    input: RequestInfo | URL,
    init?: RequestInit,
    options?: { fetch?: typeof fetch },
  ): Promise<Response>;
}

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  /** Where the tokens live: a `Strata` (or any {@link StrataLike}). */
  storage: StrataLike;
  /**
   * Exchanges a refresh token. Throw `new StrataError('INVALID_GRANT', …)` (or an error with
   * `status` 400/401, see {@link isInvalidGrant}) when the server rejects it. Not needed with
   * `oauth`.
   */
  refresh?: (refreshToken: string) => Promise<TokenResponse>;
  /**
   * An `OAuthClient`: refresh is its RFC 6749 §6 grant, `clear()` its RFC 7009 revocation (a
   * failure rejects `clear()` once signed out), `fetch()` sends Bearer or DPoP as its tokens are.
   * A `CLIENT_FAULT` (`invalid_client`, …) is not retried: `getAccessToken()` rejects with it
   * once the access token expired, until new tokens are set.
   */
  oauth?: TokenManagerOAuth;
  /**
   * Refresh this long before expiry; cut to a quarter of the token's lifetime when longer (the
   * `adjusted` event says so, with the buffer applied). Default 60,000.
   */
  refreshBuffer?: number;
  /** Longest pause between proactive checks. Default 30,000. */
  checkInterval?: number;
  /** Refresh in the background before expiry once `start()`ed. Default true. */
  proactive?: boolean;
  /**
   * Decides after a failed refresh; default `'retry'` (with backoff). Invalid grants always sign
   * out.
   */
  onRefreshFailed?: (error: unknown, attempt: number) => 'retry' | 'logout';
  /** Storage keys prefix. Default `'auth:tokens'`. */
  keyPrefix?: string;
  /** `'memory'` keeps the refresh token out of storage (lost on reload). Default `'storage'`. */
  refreshTokenStorage?: 'storage' | 'memory';
  /** Milliseconds to wait for another tab's refresh. Default 15,000. */
  lockTimeout?: number;
  /** Wall-clock time in epoch ms, for expiry math. Default `Date.now`. */
  clock?: () => number;
  /** Timer functions (the proactive check, the catch-up poll), injectable for tests. */
  timers?: Pick<Timers, 'setTimeout' | 'clearTimeout'>;
  /**
   * Revokes a refresh token at the server on `clear()`. A failure does not keep the user signed
   * in: `clear()` signs out everywhere, then rejects with it. See `httpRevoke`.
   */
  revoke?: (refreshToken: string) => Promise<void>;
  /** The fetch used by {@link TokenManager.fetch}. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

export type Resolved = Required<Pick<TokenManagerOptions, Defaulted>> & TokenManagerOptions;

type Defaulted =
  | 'refreshBuffer'
  | 'checkInterval'
  | 'proactive'
  | 'keyPrefix'
  | 'refreshTokenStorage'
  | 'lockTimeout';

/** `options` with their defaults, checked. */
export function withDefaults(options: TokenManagerOptions): Resolved {
  const refreshes =
    typeof options?.refresh === 'function' || typeof options?.oauth?.refreshTokens === 'function';
  if (!refreshes || typeof options.storage?.get !== 'function') {
    throw new StrataError(
      'INVALID_OPTIONS',
      'TokenManager needs { storage: Strata, refresh: (refreshToken) => Promise<TokenResponse> } or { storage, oauth: OAuthClient }.',
    );
  }
  const merged = {
    refreshBuffer: 60_000,
    checkInterval: 30_000,
    proactive: true,
    keyPrefix: 'auth:tokens',
    refreshTokenStorage: 'storage' as const,
    lockTimeout: 15_000,
    ...options,
  };
  for (const name of ['refreshBuffer', 'checkInterval', 'lockTimeout'] as const) {
    const value = merged[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new StrataError(
        'INVALID_OPTIONS',
        `TokenManager option ${name} must be a finite number of milliseconds ≥ 0.`,
      );
  }
  return merged;
}
