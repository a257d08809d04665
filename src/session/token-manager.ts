import { StrataError, isStrataError } from '../errors.js';
import { resolveTimers, type Timers } from '../timers.js';
import { authFetch } from './auth-fetch.js';
import { RefreshFlight, type LockedResult } from './refresh-flight.js';
import { RefreshOutcomes } from './refresh-outcomes.js';
import { RefreshSchedule } from './refresh-schedule.js';
import { signOutLockName, whileSigningOut } from './sign-out-lock.js';
import { isVoidedBySignOut } from './token-errors.js';
import { TokenAnnouncer } from './token-events.js';
import { TokenFollower } from './token-follower.js';
import { TokenStore } from './token-store.js';
import { heldFrom, statusOf } from './token-times.js';
import type { HeldTokens, TokenEvents, TokenResponse, TokenStatus } from './token-types.js';
import {
  withDefaults,
  type Resolved,
  type TokenManagerOAuth,
  type TokenManagerOptions,
} from './token-options.js';

export { isInvalidGrant } from './token-errors.js';
export type { TokenManagerOAuth, TokenManagerOptions } from './token-options.js';
export type { HeldTokens, TokenEvents, TokenResponse, TokenStatus } from './token-types.js';

/**
 * Holds access, refresh and id tokens in a `Strata` (encrypted, tagged `auth`) and keeps
 * the access token fresh. A refresh is single-flight: concurrent callers in a tab share one
 * promise, and across tabs a lock lets one tab call the server while the others wait and
 * then read its result, so a rotating refresh token is never spent twice. Listeners run
 * after the lock is released; no event or error carries a token.
 *
 * Events and tabs: `refreshed` and `cleared` are heard in every tab (`by: 'other-tab'`,
 * `reason: 'remote'` where the change came from another tab), once per new access token,
 * and `status()` then already reflects it; `refreshFailed` is heard in the tab whose refresh
 * failed; `expired` in each tab that finds its token expired without a way to refresh it.
 */
export class TokenManager {
  readonly #options: Resolved;
  readonly #timers: Timers;
  readonly #events = new TokenAnnouncer();
  readonly #store: TokenStore;
  readonly #flight: RefreshFlight;
  readonly #schedule: RefreshSchedule;
  readonly #signOutLock: string;
  readonly #follower: TokenFollower;
  readonly #outcomes: RefreshOutcomes;

  constructor(options: TokenManagerOptions) {
    const merged = (this.#options = withDefaults(options));
    const timers = (this.#timers = resolveTimers(merged));
    const { storage, keyPrefix, lockTimeout, refreshTokenStorage } = merged;
    this.#store = new TokenStore({ storage, keyPrefix, refreshTokenStorage, now: timers.now });
    this.#signOutLock = signOutLockName(storage.namespace, keyPrefix);
    this.#flight = new RefreshFlight({
      store: this.#store,
      lockName: `strata-refresh:${storage.namespace}/${keyPrefix}`,
      signOutLockName: this.#signOutLock,
      lockTimeout,
      timers,
      host: {
        erase: () => this.#erase(),
        succeeded: (outcome) => this.#outcomes.succeeded(outcome),
        failed: (error, signedOut) => this.#outcomes.failed(error, signedOut),
      },
    });
    this.#schedule = new RefreshSchedule({
      timers,
      checkInterval: merged.checkInterval,
      proactive: merged.proactive,
      timeUntilRefresh: () => this.status().timeUntilRefresh,
      check: () => void this.#check(),
    });
    this.#outcomes = new RefreshOutcomes({
      events: this.#events,
      schedule: this.#schedule,
      options: merged,
      forget: () => this.#forget(),
    });
    this.#follower = new TokenFollower({
      store: this.#store,
      events: this.#events,
      schedule: this.#schedule,
      signOut: () => this.#signOut(),
    });
  }

  /** Stores tokens from a login or an external refresh. */
  async setTokens(tokens: TokenResponse): Promise<void> {
    const held = this.#next(tokens, undefined);
    this.#outcomes.reset();
    this.#store.apply({ type: 'supersede' });
    await this.#store.save(held);
    this.#events.renewed();
    this.#statusOf(held); // a cut refresh buffer is told at sign-in
    this.#schedule.plan();
  }

  /** The tokens held (from storage on first call); `undefined` when signed out. */
  async getTokens(): Promise<HeldTokens | undefined> {
    await this.#follower.settled();
    return this.#store.load();
  }

  /**
   * A valid access token, refreshed first when expired or due; `null` when signed out, when a
   * sign-out in any tab voided the refresh, or when the refresh failed and the old one expired.
   */
  async getAccessToken(): Promise<string | null> {
    await this.#follower.settled();
    const held = await this.#store.load();
    if (!held) return null;
    const status = this.#statusOf(held);
    if (!status.needsRefresh) return held.accessToken;
    const fault = this.#outcomes.fault;
    if (fault) {
      if (status.isValid) return held.accessToken;
      throw fault;
    }
    if (!this.#store.refreshTokenOf(held)) {
      if (status.isValid) return held.accessToken;
      this.#events.expired(held);
      return null;
    }
    try {
      return (await this.refresh()).accessToken;
    } catch (error) {
      if (isVoidedBySignOut(error)) return null; // a sign-out is underway: nothing it revokes
      // The old token while valid; none after a sign-out, the new one after a sign-in.
      const now = this.#store.held;
      if (now && this.#statusOf(now).isValid) return now.accessToken;
      if (now && isStrataError(error, 'CLIENT_FAULT')) throw error; // not retried: say why
      return null;
    }
  }

  /**
   * Refreshes now (single flight in the tab and across tabs). Without `force` a token that
   * is still fresh, or that another tab refreshed meanwhile, is returned as is. Never resolves
   * with tokens a sign-out made void: when the user signs out or in, in this or any other tab
   * (a `clear()` or `AuthSession.logout()` still underway included), while the refresh is in
   * flight, its result is dropped and it rejects with `StrataError` code `NOT_AUTHENTICATED`.
   */
  refresh(options: { force?: boolean } = {}): Promise<HeldTokens> {
    return this.#refreshOnce(options.force === true ? { force: true } : {});
  }

  /**
   * Runs `exchange` with the refresh token under the same single flight and lock as a
   * refresh, storing the tokens it returns, then runs `commit` (still under the lock; not
   * at all when the user signed out or in meanwhile). `skipIf` is checked once the lock is
   * held: when it resolves true (another tab already did the work), `exchange` is not called.
   * Rejects with `NOT_AUTHENTICATED`, like {@link refresh}, when a sign-out voided it.
   */
  async exchange<R extends { tokens: TokenResponse }>(
    exchange: (refreshToken: string) => Promise<R>,
    skipIf: () => Promise<boolean>,
    commit?: (result: R) => Promise<void>,
  ): Promise<R | undefined> {
    let result: R | undefined;
    await this.#flight.locked(async (current) => {
      if (await skipIf()) return { tokens: current, didRefresh: false };
      const exchanged = await exchange(
        this.#refreshTokenFor(current, 'There is no refresh token to restore a session from.'),
      );
      result = exchanged;
      return {
        tokens: this.#next(exchanged.tokens, current),
        didRefresh: true,
        commit: commit && (() => commit(exchanged)),
      };
    });
    return result;
  }

  /**
   * Whether the sign-in this tab holds is still current in every tab: false when signed out here,
   * while any tab signs out, and once the shared record (IndexedDB; the stored flag with
   * `refreshTokenStorage: 'memory'`) says a tab signed out, before `cleared` reaches this tab.
   */
  async stillSignedIn(): Promise<boolean> {
    const held = await this.getTokens();
    if (!held || (await this.#flight.signingOut())) return false;
    return !(await this.#store.signedOutElsewhere(held));
  }

  /** The state of the tokens, synchronously, from what this tab last read. */
  status(): TokenStatus {
    return this.#statusOf(this.#store.held);
  }

  /**
   * Listens to `refreshed`, `refreshFailed`, `expired`, `cleared` or `adjusted`. `refreshed` and
   * `cleared` are heard in every tab; `refreshFailed`, `expired` and `adjusted` (an option cut,
   * e.g. `refreshBuffer` to a quarter of the token's lifetime) only in the tab they happened in.
   */
  on<E extends keyof TokenEvents>(
    event: E,
    handler: (payload: TokenEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, handler);
  }

  /**
   * `fetch` with `Authorization: Bearer <access token>`. On a 401 it refreshes once
   * (single flight, skipped when another caller already replaced the token) and retries
   * once; a second 401 is returned as is, never looped.
   */
  fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const doFetch = this.#options.fetch ?? globalThis.fetch.bind(globalThis);
    const { oauth } = this.#options;
    const source = {
      fetch: doFetch,
      accessToken: () => this.getAccessToken(),
      renew: async (stale: string) => (await this.#refreshOnce({ force: true, stale })).accessToken,
      send:
        oauth &&
        ((access: string, input: RequestInfo | URL, init: RequestInit) =>
          oauth.resourceFetch(access, input, init, { fetch: doFetch })),
    };
    return authFetch(source, input, init);
  }

  /** Starts proactive refresh (when `proactive`). */
  start(): void {
    if (!this.#schedule.start()) return;
    const plan = () => this.#schedule.plan();
    void this.#store.load().then(plan, plan);
  }

  /** Stops proactive refresh. */
  stop(): void {
    this.#schedule.stop();
  }

  /**
   * Forgets every token here and in every tab, revoking the refresh token at the server first
   * when `revoke` (or `oauth`) is set; a failed revocation signs out all the same, then rejects
   * with its error (never swallowed: the token may still be valid at the server). It waits for a refresh in flight in any tab (under the refresh lock),
   * so no refresh finishing later can bring the tokens back; when the lock does not come in
   * time, it signs out anyway. From the moment it is called, a refresh in flight in any tab
   * rejects with `NOT_AUTHENTICATED` instead of resolving with tokens this revokes.
   */
  clear(): Promise<void> {
    this.#store.apply({ type: 'supersede' });
    this.#outcomes.reset();
    return whileSigningOut(this.#signOutLock, () => this.#clear());
  }

  async #clear(): Promise<void> {
    const { oauth, revoke } = this.#options;
    let revokeFailure: unknown;
    const signOut = async (): Promise<void> => {
      const stored = await this.#store.load({ fresh: true, strict: true }).catch(() => undefined);
      const refreshToken = this.#store.refreshTokenOf(stored ?? this.#store.held);
      // RFC 7009 (and the DPoP key destroyed), or `revoke`: a failure is reported once signed out.
      if (oauth && !revoke)
        await oauth.signOut(refreshToken).catch((error: unknown) => (revokeFailure = error));
      else if (refreshToken && revoke)
        await revoke(refreshToken).catch((error: unknown) => (revokeFailure = error));
      await this.#forget();
    };
    await this.#flight.exclusive(signOut, signOut);
    if (revokeFailure !== undefined) throw revokeFailure;
  }

  /** Stops timers and storage subscriptions. */
  dispose(): void {
    this.stop();
    this.#follower.dispose();
  }

  // ── refresh ─────────────────────────────────────────────────────────────────────────

  /** The single-flight refresh; `stale`: only when the access token is still that one (a 401). */
  #refreshOnce(request: { force?: true; stale?: string }): Promise<HeldTokens> {
    return this.#flight.single(async (current): Promise<LockedResult> => {
      // Only a valid token replaces it: storage drops an expired record by the page's own clock.
      const replaced =
        request.stale !== undefined &&
        current.accessToken !== request.stale &&
        this.#statusOf(current).isValid;
      if (replaced || (!request.force && !this.#statusOf(current).needsRefresh))
        return { tokens: current, didRefresh: false };
      const response = await this.#refresher(
        this.#refreshTokenFor(current, 'There is no refresh token; sign in again.'),
      );
      if (typeof response?.accessToken !== 'string')
        throw new StrataError('REFRESH_FAILED', 'The refresh function returned no accessToken.');
      return { tokens: this.#next(response, current), didRefresh: true };
    });
  }

  /** The refresh token of `current`, or `NOT_AUTHENTICATED` with `message`. */
  #refreshTokenFor(current: HeldTokens, message: string): string {
    const refreshToken = this.#store.refreshTokenOf(current);
    if (!refreshToken) throw new StrataError('NOT_AUTHENTICATED', message);
    return refreshToken;
  }

  /** The tokens to hold after `response`; `previous`: the ones it refreshes. */
  #next(response: TokenResponse, previous: HeldTokens | undefined): HeldTokens {
    return heldFrom(response, previous, this.#timers.now(), this.#store.refreshTokenOf(previous));
  }

  /** The refresh function: the option's, else the OAuth client's grant. */
  #refresher(refreshToken: string): Promise<TokenResponse> {
    const { refresh, oauth } = this.#options;
    return refresh
      ? refresh(refreshToken)
      : (oauth as TokenManagerOAuth).refreshTokens(refreshToken);
  }

  /** A planned proactive check: refreshes when due, announces an expiry it cannot fix. */
  async #check(): Promise<void> {
    const held = await this.#store.load({ fresh: true }).catch(() => this.#store.held);
    if (!held || !this.#statusOf(held).needsRefresh) return this.#schedule.plan();
    if (!this.#store.refreshTokenOf(held)) return this.#events.expired(held);
    await this.refresh().catch(() => undefined); // failures are reported and rescheduled by #outcomes
  }

  // ── state ───────────────────────────────────────────────────────────────────────────

  /**
   * Signs this tab out: the one reset of the token state (storage is the caller's). True when it
   * held tokens.
   */
  #signOut(): boolean {
    const had = this.#store.held !== undefined;
    this.#store.apply({ type: 'signed-out' });
    this.#schedule.cancel();
    return had;
  }

  /**
   * Signs out here and removes the tokens from storage (every tab); true when this tab held some.
   */
  async #erase(): Promise<boolean> {
    const had = this.#signOut();
    await this.#store.erase();
    return had;
  }

  /**
   * Signs out for the user's sake (`clear()`, `onRefreshFailed`); `cleared` when tokens were held.
   */
  async #forget(): Promise<void> {
    if (await this.#erase()) this.#events.emit('cleared', { reason: 'logout' });
  }

  /** The status of `held`; a refresh buffer it cuts is reported (`adjusted`). */
  #statusOf(held: HeldTokens | undefined): TokenStatus {
    const { refreshBuffer } = this.#options;
    const status = statusOf(held, this.#timers.now(), refreshBuffer, this.#schedule.running);
    this.#events.refreshBufferUsed(held, status, refreshBuffer);
    return status;
  }
}
