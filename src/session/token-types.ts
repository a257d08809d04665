import type { StrataError } from '../errors.js';

/** What a token endpoint answers. `expiresAt` is epoch ms (or s); `expiresIn` is seconds. */
export interface TokenResponse {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  expiresAt?: number;
  expiresIn?: number;
  /** Lifetime of the refresh token in seconds, when the server says. */
  refreshExpiresIn?: number;
}

/** The tokens a `TokenManager` holds, with local-clock times. */
export interface HeldTokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** When the access token expires, epoch ms by this browser's clock; `null` when unknown. */
  expiresAt: number | null;
  /** When this browser received the access token. */
  issuedAt: number;
  lastRefreshAt: number | null;
  /** When the refresh token expires (from `refreshExpiresIn`), epoch ms; absent when unknown. */
  refreshExpiresAt?: number;
}

/** `status()` of a `TokenManager`: all times in epoch ms, durations in ms. */
export interface TokenStatus {
  isValid: boolean;
  expiresAt: number | null;
  refreshAt: number | null;
  lastRefreshAt: number | null;
  timeUntilExpiry: number | null;
  timeUntilRefresh: number | null;
  needsRefresh: boolean;
  isRunning: boolean;
}

/** Payloads of `TokenManager.on`; none carries a token. */
export interface TokenEvents {
  /** A new access token, heard in every tab once (`status()` already shows it). */
  refreshed: { expiresAt: number | null; by: 'this-tab' | 'other-tab' };
  /** Heard in the tab whose refresh failed only. */
  refreshFailed: { error: StrataError; attempt: number; willRetry: boolean };
  /** Heard in each tab that finds its token expired with no way to refresh it. */
  expired: { expiresAt: number | null };
  /** Signed out, heard in every tab (`'remote'` where another tab signed out). */
  cleared: { reason: 'logout' | 'invalid_grant' | 'key_lost' | 'remote' };
  /**
   * An option the manager does not apply as given, heard in this tab once (again after tokens
   * it applied as given): `refreshBuffer` longer than a quarter of the token's lifetime is cut
   * to that quarter (`applied`), so short tokens never refresh in a loop. All values in ms.
   */
  adjusted: { option: 'refreshBuffer'; requested: number; applied: number; lifetime: number };
}
