import type { StrataError } from '../errors.js';
import type { StrataLike } from './strata-like.js';
import type { TokenManager, TokenResponse } from './token-manager.js';

/** The signed-in user as the app describes it. */
export interface SessionUser {
  userId: string;
  username?: string;
  email?: string;
  roles?: string[];
  permissions?: string[];
  [extra: string]: unknown;
}

/** A stored session: the user plus the times the SDK keeps. */
export interface UserSession extends SessionUser {
  roles: string[];
  permissions: string[];
  loginTime: number;
  lastActivity: number;
  expiresAt: number;
  rememberMe: boolean;
}

/** `getState()` of an {@link AuthSession}. */
export interface AuthState {
  status: 'loading' | 'authenticated' | 'unauthenticated';
  session: UserSession | null;
  /**
   * With status `'unauthenticated'`: why {@link AuthSession.initialize} could not read the
   * session (wrong password, storage unavailable). With status `'authenticated'`: the
   * `CLIENT_FAULT` of the TokenManager's last refresh (`invalid_client`, `unauthorized_client`, a
   * malformed answer): the user is still signed in and the tokens kept, but no new access token
   * can be had (`getAccessToken()` rejects with this error once the current one expired) until
   * new tokens arrive. Never a bare `'authenticated'` while that lasts.
   */
  error?: StrataError;
  /** `'evicted'`: signed out because the browser deleted this site's storage (not a first visit). */
  reason?: 'evicted';
}

/** Checks a device before a session is restored (see `SessionFingerprint`). */
export interface RestoreGuard {
  /** Binds the session to this device (on login). */
  create(): Promise<unknown>;
  /** False when this device no longer matches the binding (a restore is then refused). */
  validate(): Promise<boolean>;
}

/** Options of {@link AuthSession}. */
export interface AuthSessionOptions {
  /** Where the session lives: a `Strata` (or any {@link StrataLike}). */
  storage: StrataLike;
  /** Holds the tokens; its refresh lock also guards restores, so one tab restores for all. */
  tokens?: TokenManager;
  /**
   * Turns a refresh token into a user and fresh tokens when the session is gone. Without it, a
   * session whose tokens carry an id_token (an OpenID Connect sign-in, see
   * {@link AuthSession.loginFromCallback}) is restored by a refresh through `tokens`: the user
   * comes from the claims of the id_token held after it (the refresh's own when it returned one)
   * through {@link userFromClaims}; one refresh for every tab.
   */
  restore?: (refreshToken: string) => Promise<{ user: SessionUser; tokens: TokenResponse }>;
  /**
   * Maps validated id_token claims (`OAuthClient.handleCallback`'s `claims`, or those of the
   * id_token a restoring refresh returned) to the session's user: `userId`, `roles`,
   * `permissions` and anything else the app keeps. Default: `userId` from `sub`, `username` from
   * `preferred_username` (else `name`), `email`, and `roles` / `permissions` from claims of those
   * names when they are arrays of strings; no other claim is kept.
   */
  userFromClaims?: (claims: Record<string, unknown>) => SessionUser;
  /** Refuses to restore on a device whose fingerprint changed. */
  fingerprint?: RestoreGuard;
  /** Session lifetime without / with "remember me". Defaults 24 h / 30 days. */
  durations?: { session?: number; remembered?: number };
  /** How often `getSession()` may rewrite `lastActivity`. Default 60,000 ms. */
  activityThrottle?: number;
  /** Storage key of the session. Default `'auth-session'`. */
  key?: string;
  /** Wall-clock time in epoch ms. Default `Date.now`. */
  clock?: () => number;
  /**
   * The id of the current browser session; a session signed in without "remember me" ends
   * when it changes (the browser was closed). Default: a session cookie (see `browserSessionId`).
   */
  browserSession?: () => string | null;
}
