import { readJwtTimes } from './jwt.js';
import type { HeldTokens, TokenResponse, TokenStatus } from './token-types.js';

/**
 * The refresh buffer never exceeds this share of a token's lifetime (no refresh loop on short
 * tokens).
 */
const MIN_BUFFER_SHARE = 0.25;

/**
 * Expiry by this browser's clock: from `expiresIn` (relative: immune to clock skew),
 * `expiresAt`, or the JWT's lifetime. For a token the server has just issued in a refresh
 * (`refreshed`), an absolute expiry already past says this clock is wrong, not that the
 * token is dead: it counts as unknown (`null`), so a skewed clock never turns into a
 * refresh loop (a 401 still refreshes through `fetch`).
 */
export function expiryOf(response: TokenResponse, now: number, refreshed: boolean): number | null {
  if (typeof response.expiresIn === 'number' && response.expiresIn > 0)
    return now + response.expiresIn * 1000;
  const times = readJwtTimes(response.accessToken);
  const expiresAt =
    typeof response.expiresAt === 'number' && response.expiresAt > 0
      ? response.expiresAt
      : undefined;
  if (expiresAt === undefined && times?.exp !== undefined && times.iat !== undefined)
    return now + (times.exp - times.iat) * 1000;
  const absolute =
    expiresAt !== undefined
      ? expiresAt < 1e12
        ? expiresAt * 1000
        : expiresAt
      : times?.exp !== undefined
        ? times.exp * 1000
        : null;
  return absolute !== null && refreshed && absolute <= now ? null : absolute;
}

/**
 * The tokens to hold after `response`, received at `now`: what it leaves out is kept from
 * `previous` (a refresh) or, for the refresh token, from `fallbackRefreshToken`.
 */
export function heldFrom(
  response: TokenResponse,
  previous: HeldTokens | undefined,
  now: number,
  fallbackRefreshToken?: string,
): HeldTokens {
  const held: HeldTokens = {
    accessToken: response.accessToken,
    expiresAt: expiryOf(response, now, previous !== undefined),
    issuedAt: now,
    lastRefreshAt: previous ? now : null,
  };
  const refreshToken = response.refreshToken ?? previous?.refreshToken ?? fallbackRefreshToken;
  if (refreshToken) held.refreshToken = refreshToken;
  if (typeof response.refreshExpiresIn === 'number' && response.refreshExpiresIn > 0)
    held.refreshExpiresAt = now + response.refreshExpiresIn * 1000;
  else if (previous?.refreshExpiresAt !== undefined && refreshToken === previous.refreshToken)
    held.refreshExpiresAt = previous.refreshExpiresAt;
  const idToken = response.idToken ?? previous?.idToken;
  if (idToken) held.idToken = idToken;
  return held;
}

/** The status of `held` at `now`; the refresh is due `refreshBuffer` before expiry (clamped). */
export function statusOf(
  held: HeldTokens | undefined,
  now: number,
  refreshBuffer: number,
  isRunning: boolean,
): TokenStatus {
  if (!held) {
    return {
      isValid: false,
      expiresAt: null,
      refreshAt: null,
      lastRefreshAt: null,
      timeUntilExpiry: null,
      timeUntilRefresh: null,
      needsRefresh: false,
      isRunning,
    };
  }
  const { expiresAt } = held;
  const lifetime = expiresAt === null ? null : Math.max(expiresAt - held.issuedAt, 0);
  const buffer = lifetime === null ? 0 : Math.min(refreshBuffer, lifetime * MIN_BUFFER_SHARE);
  const refreshAt = expiresAt === null ? null : expiresAt - buffer;
  const isValid = held.accessToken !== '' && (expiresAt === null || expiresAt > now);
  return {
    isValid,
    expiresAt,
    refreshAt,
    lastRefreshAt: held.lastRefreshAt,
    timeUntilExpiry: expiresAt === null ? null : Math.max(expiresAt - now, 0),
    timeUntilRefresh: refreshAt === null ? null : Math.max(refreshAt - now, 0),
    needsRefresh: !isValid || (refreshAt !== null && now >= refreshAt),
    isRunning,
  };
}

/** Milliseconds left before a stored item that expires at `at` (epoch ms) should go; at least 1. */
export function ttlUntil(at: number | null | undefined, now: number): number | undefined {
  return at === null || at === undefined ? undefined : Math.max(at - now, 1);
}
