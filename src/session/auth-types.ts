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
   * Why {@link AuthSession.initialize} could not read the session (wrong password, storage
   * unavailable): the status is then `'unauthenticated'`.
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
  /** Turns a refresh token into a user and fresh tokens when the session is gone. */
  restore?: (refreshToken: string) => Promise<{ user: SessionUser; tokens: TokenResponse }>;
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
