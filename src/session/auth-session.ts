import { isStrataError, StrataError, toStorageError } from '../errors.js';
import { resolveTimers } from '../timers.js';
import { AuthStateCell } from './auth-state.js';
import { BrowserSessionMark, browserSessionId } from './browser-session.js';
import { whileSigningOut } from './sign-out-lock.js';
import { callbackClaims, defaultUserFromClaims } from './oidc-user.js';
import { REFRESH_KEY, SessionRestore } from './session-restore.js';
import type { TokenManager, TokenResponse } from './token-manager.js';
import type { AuthSessionOptions, AuthState, SessionUser, UserSession } from './auth-types.js';

const DAY = 24 * 60 * 60 * 1000;
/** How long a session touch (it only records activity) waits for the restore lock. */
const TOUCH_LOCK_MS = 2_000;

/**
 * The signed-in state of the app, kept in a `Strata` (encrypted when it encrypts,
 * tagged `auth`), with sliding 24 h sessions (30 days with remember-me). When the session is gone
 * but a refresh token is held, `getSession()` restores it once for every caller and every
 * tab. `logout()` clears the session, every item tagged `auth` and the tokens; with sync
 * on, every tab turns `'unauthenticated'`.
 */
export class AuthSession {
  readonly #options: AuthSessionOptions;
  readonly #now: () => number;
  readonly #mark: BrowserSessionMark;
  readonly #key: string;
  readonly #state = new AuthStateCell();
  readonly #restore: SessionRestore;
  #initializing: Promise<AuthState> | undefined;
  #lastTouch = 0;
  readonly #unsubscribe: () => void;

  constructor(options: AuthSessionOptions) {
    if (typeof options?.storage?.get !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'AuthSession needs { storage: Strata }.');
    this.#options = options;
    this.#now = resolveTimers({ clock: options.clock }).now;
    this.#key = options.key ?? 'auth-session';
    this.#mark = new BrowserSessionMark(
      options.storage,
      options.browserSession ?? browserSessionId,
      options.durations?.remembered ?? 30 * DAY,
    );
    this.#restore = new SessionRestore(options, this.#key, {
      sessionNow: () => this.#sessionNow(),
      signIn: async (user, tokens) => {
        const rememberMe = await this.#mark.remembered();
        await this.#login(user, tokens ? { rememberMe, tokens } : { rememberMe });
      },
      userFrom: (claims) => this.#userFrom(claims),
    });
    this.#unsubscribe = options.storage.subscribe(this.#key, (change) => {
      if (change.key !== this.#key) return; // another tab, or app code, changed the session
      const session = change.newValue as UserSession | null;
      this.#state.set(
        session
          ? { status: 'authenticated', session }
          : { status: 'unauthenticated', session: null },
      );
    });
    options.tokens?.on('cleared', ({ reason }) => {
      if (reason === 'invalid_grant' || reason === 'remote') void this.#signedOutElsewhere();
    });
    // A client fault is not retried: the state says so rather than a bare 'authenticated'.
    options.tokens?.on('refreshFailed', ({ error }) => {
      if (isStrataError(error, 'CLIENT_FAULT')) this.#state.setFault(error);
    });
    options.tokens?.on('refreshed', () => this.#state.setFault(undefined));
  }

  /** The tokens this session uses, when it was given a TokenManager. */
  get tokens(): TokenManager | undefined {
    return this.#options.tokens;
  }

  /**
   * Signs in: stores the session for 24 h (30 days with `rememberMe`), sliding with use, and the
   * tokens.
   */
  async login(
    user: SessionUser,
    options: { rememberMe?: boolean; tokens?: TokenResponse } = {},
  ): Promise<void> {
    // Under the restore lock: a tab that finds the session gone while it lands waits, then has it.
    const login = () => this.#login(user, options);
    await this.#restore.underLock(login, { otherwise: login });
  }

  async #login(
    user: SessionUser,
    options: { rememberMe?: boolean; tokens?: TokenResponse },
  ): Promise<void> {
    if (typeof user?.userId !== 'string' || user.userId === '')
      throw new StrataError('INVALID_OPTIONS', 'login needs a user with a non-empty userId.');
    const rememberMe = options.rememberMe === true;
    const duration = rememberMe
      ? (this.#options.durations?.remembered ?? 30 * DAY)
      : (this.#options.durations?.session ?? DAY);
    const now = this.#now();
    const session: UserSession = {
      ...user,
      roles: user.roles ?? [],
      permissions: user.permissions ?? [],
      loginTime: now,
      lastActivity: now,
      expiresAt: now + duration,
      rememberMe,
    };
    // Tokens and markers first: the session record is what flips every tab to 'authenticated'.
    if (options.tokens) await this.#storeTokens(options.tokens, rememberMe ? 30 * DAY : duration);
    await this.#mark.mark(rememberMe);
    await this.#options.fingerprint?.create();
    await this.#write(session, duration);
    this.#lastTouch = now;
    this.#state.set({ status: 'authenticated', session }, true);
  }

  /**
   * Signs in from `OAuthClient.handleCallback`'s result: the user is
   * `userFromClaims(result.claims)` (see {@link AuthSessionOptions.userFromClaims}), the tokens
   * are stored as {@link login} stores them. `INVALID_OPTIONS` when there are no claims (no
   * `openid` scope) or they map to no `userId`; nothing is stored then. Resolves with the session.
   */
  async loginFromCallback(
    result: { tokens: TokenResponse; claims: Record<string, unknown> | null },
    options: { rememberMe?: boolean } = {},
  ): Promise<UserSession> {
    await this.login(this.#userFrom(callbackClaims(result)), { ...options, tokens: result.tokens });
    return this.#state.current.session as UserSession;
  }

  /**
   * The current session, touching `lastActivity` (at most once a minute). When it is gone
   * and a refresh token is held, restores it through `restore` (one restore for all
   * concurrent callers and tabs); `null` when signed out. A restore overtaken by a sign-out in
   * this or any other tab (a `logout()` still underway included) resolves `null`, never with
   * the session that sign-out ends.
   */
  async getSession(): Promise<UserSession | null> {
    const strata = this.#options.storage;
    if (await this.#mark.ended()) {
      await this.logout();
      return null;
    }
    let session = await strata.get<UserSession>(this.#key);
    const now = this.#now();
    if (
      session &&
      session.expiresAt > now &&
      now - this.#lastTouch >= (this.#options.activityThrottle ?? 60_000)
    ) {
      this.#lastTouch = now;
      session = await this.#touch(now, session);
    }
    if (session && session.expiresAt > now) {
      this.#state.set({ status: 'authenticated', session });
      return session;
    }
    const restored = await this.#restore.once();
    const evicted = (this.#options.storage.status?.().evicted.length ?? 0) > 0;
    this.#state.set(
      restored
        ? { status: 'authenticated', session: restored }
        : { status: 'unauthenticated', session: null, ...(evicted && { reason: 'evicted' }) },
    );
    return restored;
  }

  /** True when a session exists and has not expired. */
  async isAuthenticated(): Promise<boolean> {
    const session = await this.getSession();
    return session !== null && session.expiresAt > this.#now();
  }

  /** True when the current session's user has `permission`. */
  async hasPermission(permission: string): Promise<boolean> {
    return (await this.getSession())?.permissions.includes(permission) ?? false;
  }

  /** True when the current session's user has `role`. */
  async hasRole(role: string): Promise<boolean> {
    return (await this.getSession())?.roles.includes(role) ?? false;
  }

  /**
   * Moves the expiry to now + `ms` (default 1 h). `false` when signed out. Written under
   * the restore lock over the session as it is then, so a logout elsewhere is never undone
   * (`LOCK_TIMEOUT` when another tab holds that lock for 20 s).
   */
  async extendSession(ms = 60 * 60 * 1000): Promise<boolean> {
    if (!(await this.getSession())) return false;
    const strata = this.#options.storage;
    const extended = await this.#restore.underLock(async () => {
      const session = await strata.get<UserSession>(this.#key);
      const now = this.#now();
      if (!session || session.expiresAt <= now) return null;
      const longer = { ...session, expiresAt: now + ms };
      await this.#write(longer, ms);
      return longer;
    });
    if (!extended) return false;
    this.#state.set({ status: 'authenticated', session: extended });
    return true;
  }

  /**
   * Signs out here and, with sync on, in every tab: removes the session, every item tagged
   * `auth`, and the tokens (revoking the refresh token at the server when the TokenManager
   * has `revoke`). With `destroyKey` (a shared device), it then crypto-shreds the whole
   * namespace through `Strata.destroyKey()`: every item is removed and the key destroyed,
   * so no copy of the profile can ever decrypt what was left.
   */
  logout(options: { destroyKey?: boolean } = {}): Promise<void> {
    this.#restore.signedOut();
    return whileSigningOut(this.#restore.signOutLock, () => this.#logout(options));
  }

  async #logout(options: { destroyKey?: boolean }): Promise<void> {
    const strata = this.#options.storage;
    // Each part waits for the lock a restore in flight holds: none finishing later signs back in.
    let tokensFailure: unknown;
    await this.#options.tokens?.clear().catch((error: unknown) => {
      tokensFailure = error; // the session is still removed; the failure is thrown after
    });
    const removeAll = () =>
      Promise.all([
        strata.remove(this.#key),
        strata.remove(REFRESH_KEY),
        this.#mark.remove(),
        strata.clear({ tags: ['auth'] }),
      ]);
    await this.#restore.underLock(removeAll, { otherwise: removeAll });
    if (options.destroyKey === true) await strata.destroyKey();
    this.#state.set({ status: 'unauthenticated', session: null }, true);
    if (tokensFailure !== undefined) throw tokensFailure;
  }

  /** The current state, synchronously (`'loading'` until the first `getSession()` or `login()`). */
  getState(): AuthState {
    return this.#state.current;
  }

  /** Calls `listener` with each new state. */
  subscribe(listener: (state: AuthState) => void): () => void {
    return this.#state.subscribe(listener);
  }

  /**
   * Resolves the initial state: `getSession()` once for all concurrent callers, never
   * throwing. A failure gives `'unauthenticated'` with the `error` in the state.
   */
  initialize(): Promise<AuthState> {
    this.#initializing ??= this.getSession()
      .then(
        () => undefined,
        (error: unknown) =>
          this.#state.set({
            status: 'unauthenticated',
            session: null,
            error: toStorageError(error, 'Reading the session'),
          }),
      )
      .then(() => this.#state.current)
      .finally(() => {
        this.#initializing = undefined;
      });
    return this.#initializing;
  }

  /** Stops following other tabs. */
  dispose(): void {
    this.#unsubscribe();
  }

  /** The stored session while it has not expired. */
  async #sessionNow(): Promise<UserSession | null> {
    const session = await this.#options.storage.get<UserSession>(this.#key);
    return session && session.expiresAt > this.#now() ? session : null;
  }

  /** The session user of id_token `claims`, through the `userFromClaims` option. */
  #userFrom(claims: Record<string, unknown>): SessionUser {
    return (this.#options.userFromClaims ?? defaultUserFromClaims)(claims);
  }

  /**
   * Records activity on the session: `lastActivity` now, expiry pushed by its sliding TTL.
   * Under the restore lock, over the session as it is then, so a logout in another tab
   * (which removes it under the same lock) is never undone by this write. A busy lock
   * skips the touch; returns the session as it stands (`null` when signed out meanwhile).
   */
  async #touch(now: number, read: UserSession): Promise<UserSession | null> {
    const strata = this.#options.storage;
    return this.#restore.underLock(
      async () => {
        const session = await strata.get<UserSession>(this.#key);
        if (!session || session.expiresAt <= now) return session;
        session.lastActivity = now;
        session.expiresAt = Math.max(
          session.expiresAt,
          now + ((await strata.getTTL(this.#key)) ?? 0),
        );
        await this.#write(session);
        return session;
      },
      { otherwise: () => read, timeout: TOUCH_LOCK_MS },
    );
  }

  async #storeTokens(response: TokenResponse, refreshTtl: number): Promise<void> {
    if (this.#options.tokens) {
      await this.#options.tokens.setTokens(response);
    } else if (response.refreshToken) {
      await this.#options.storage.set(REFRESH_KEY, response.refreshToken, {
        ttl: refreshTtl,
        encrypt: true,
        tags: ['auth'],
      });
    }
  }

  async #signedOutElsewhere(): Promise<void> {
    await this.#options.storage.remove(this.#key).catch(() => undefined);
    this.#state.set({ status: 'unauthenticated', session: null }, true);
  }

  /** Stores `session`, sliding and encrypted, tagged for `clear`; `ttl`: a new lifetime. */
  #write(session: UserSession, ttl?: number): Promise<void> {
    const options = { sliding: true, encrypt: true, tags: sessionTags(session.userId) };
    const withTtl = ttl === undefined ? options : { ...options, ttl };
    return this.#options.storage.set(this.#key, session, withTtl);
  }
}

/** Tags of a stored session: `auth` (cleared on logout), `user` and the user's own. */
function sessionTags(userId: string): string[] {
  return ['auth', 'user', `user:${userId}`];
}
