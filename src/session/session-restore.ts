import { withLockOr } from '../sync/lock.js';
import { signingOut, signOutLockName } from './sign-out-lock.js';
import { checkSameSubject, idTokenClaims } from './oidc-user.js';
import { isInvalidGrant } from './token-errors.js';
import type { TokenManager, TokenResponse } from './token-manager.js';
import type { AuthSessionOptions, SessionUser, UserSession } from './auth-types.js';

/** Where a session without a TokenManager keeps its refresh token. */
export const REFRESH_KEY = 'auth:refresh-token';
/** Longer than `httpRestore`'s default request timeout (15 s). */
const RESTORE_LOCK_MS = 20_000;

/** What a {@link SessionRestore} asks of the `AuthSession` it restores. */
export interface RestoreHost {
  /** The stored session while it has not expired. */
  sessionNow(): Promise<UserSession | null>;
  /** Signs in as `user` (storing `tokens`), without taking the restore lock it is called under. */
  signIn(user: SessionUser, tokens?: TokenResponse): Promise<void>;
  /** The session user of id_token `claims`. */
  userFrom(claims: Record<string, unknown>): SessionUser;
}

/**
 * Restores an ended session once for every caller in the tab and, under the restore lock, for
 * every tab: by a refresh through the TokenManager (OpenID Connect), by the `restore` option's
 * exchange, or by `restore` with the refresh token kept beside the session. The same lock
 * guards every write of the session (sign-in, touch, extension, logout), so a restore never
 * undoes a sign-out nor spends a refresh on a sign-in that is landing. A restore overtaken by
 * a sign-out in this tab ({@link signedOut}) or any other resolves `null`.
 */
export class SessionRestore {
  readonly #options: AuthSessionOptions;
  readonly #key: string;
  readonly #host: RestoreHost;
  #restoring: Promise<UserSession | null> | undefined;
  /** Counts this tab's sign-outs: a restore that began before one does not sign in. */
  #signOuts = 0;

  constructor(options: AuthSessionOptions, key: string, host: RestoreHost) {
    this.#options = options;
    this.#key = key;
    this.#host = host;
  }

  /** The lock a tab holds while it logs out (see `sign-out-lock.ts`). */
  get signOutLock(): string {
    return signOutLockName(this.#options.storage.namespace, this.#key);
  }

  /** Tells that this tab signs out: a restore in flight then signs nobody in. */
  signedOut(): void {
    this.#signOuts++;
  }

  /** The restored session, one restore for all concurrent callers; `null` when none can be. */
  once(): Promise<UserSession | null> {
    this.#restoring ??= this.#restore().finally(() => {
      this.#restoring = undefined;
    });
    return this.#restoring;
  }

  /**
   * Runs `work` under the restore lock, waiting at most `timeout` (longer than a restore); when
   * the lock does not come, `otherwise` runs instead, else it rejects with `LOCK_TIMEOUT`.
   */
  underLock<T>(
    work: () => Promise<T>,
    options: { otherwise?: () => T | Promise<T>; timeout?: number } = {},
  ): Promise<T> {
    const name = `strata-restore:${this.#options.storage.namespace}/${this.#key}`;
    const timeout = options.timeout ?? RESTORE_LOCK_MS;
    return withLockOr(name, work, options.otherwise, { timeout });
  }

  async #restore(): Promise<UserSession | null> {
    const { restore, tokens, fingerprint } = this.#options;
    if (!restore && !(tokens && (await tokens.getTokens())?.idToken)) return null;
    if (fingerprint && !(await fingerprint.validate())) return null;
    const signOuts = this.#signOuts;
    const voided = async () => signOuts !== this.#signOuts || (await signingOut(this.signOutLock));
    try {
      return await this.underLock(async () => {
        const already = await this.#host.sessionNow();
        if (already) return already;
        if (tokens && !restore) return this.#restoreFromIdToken(tokens, voided);
        if (tokens && restore) {
          if (!(await tokens.getTokens())?.refreshToken) return null;
          // Stores the tokens, then signs in, under the refresh lock; dropped when superseded.
          await tokens.exchange(
            restore,
            async () => (await this.#host.sessionNow()) !== null,
            (result) => this.#host.signIn(result.user),
          );
          return this.#host.sessionNow();
        }
        return restore ? this.#restoreByRefreshKey(restore, voided) : null;
      });
    } catch {
      return null; // a failed restore is a signed-out state; TokenManager reports why
    }
  }

  /**
   * The OpenID Connect restore: a refresh through the TokenManager, then a sign-in as the user of
   * the id_token held after it (the refresh's own when it returned one, which must name the same
   * subject). `null` when there is no refresh token, no id_token, or a sign-out overtook it.
   */
  async #restoreFromIdToken(
    tokens: TokenManager,
    voided: () => Promise<boolean>,
  ): Promise<UserSession | null> {
    const before = await tokens.getTokens();
    if (!before?.refreshToken || (await voided())) return null;
    const after = await tokens.refresh({ force: true });
    if (!after.idToken || (await voided())) return null;
    checkSameSubject(before.idToken, after.idToken);
    await this.#host.signIn(this.#host.userFrom(idTokenClaims(after.idToken)));
    return (await voided()) ? null : this.#host.sessionNow();
  }

  /** `restore` with the refresh token kept beside the session (no TokenManager). */
  async #restoreByRefreshKey(
    restore: NonNullable<AuthSessionOptions['restore']>,
    voided: () => Promise<boolean>,
  ): Promise<UserSession | null> {
    const { storage } = this.#options;
    const refreshToken = await storage.get<string>(REFRESH_KEY);
    if (!refreshToken || (await voided())) return null;
    let result: Awaited<ReturnType<typeof restore>>;
    try {
      result = await restore(refreshToken);
    } catch (error) {
      // A rejected refresh token is never sent again (unless a new sign-in replaced it).
      if (isInvalidGrant(error) && (await storage.get<string>(REFRESH_KEY)) === refreshToken)
        await storage.remove(REFRESH_KEY);
      throw error;
    }
    if (await voided()) return null; // signed out while the request was in flight
    await this.#host.signIn(result.user, result.tokens);
    if (await voided()) return null; // its logout removes what was written
    return this.#host.sessionNow();
  }
}
