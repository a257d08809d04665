import { StrataError, isStrataError } from '../errors.js';
import type { Strata } from '../strata.js';
import { withLock } from '../sync/lock.js';
import { isOAuthErrorCode, meansGrantRejected } from './grant-rejection.js';
import { readJwtTimes } from './jwt.js';
import { hashToken, RotationMarker } from './rotation-marker.js';
import { Emitter } from './emitter.js';

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

/** The tokens a {@link TokenManager} holds, with local-clock times. */
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

/** `status()` of a {@link TokenManager}: all times in epoch ms, durations in ms. */
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

/** Payloads of {@link TokenManager.on}; none carries a token. */
export interface TokenEvents {
  refreshed: { expiresAt: number | null; by: 'this-tab' | 'other-tab' };
  refreshFailed: { error: StrataError; attempt: number; willRetry: boolean };
  expired: { expiresAt: number | null };
  cleared: { reason: 'logout' | 'invalid_grant' | 'key_lost' | 'remote' };
}

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  storage: Strata;
  /** Exchanges a refresh token. Throw `new StrataError('INVALID_GRANT', …)` (or an error with `status` 400/401, see {@link isInvalidGrant}) when the server rejects it. */
  refresh: (refreshToken: string) => Promise<TokenResponse>;
  /** Refresh this long before expiry; clamped to a quarter of the token's lifetime. Default 60,000. */
  refreshBuffer?: number;
  /** Longest pause between proactive checks. Default 30,000. */
  checkInterval?: number;
  /** Refresh in the background before expiry once `start()`ed. Default true. */
  proactive?: boolean;
  /** Decides after a failed refresh; default `'retry'` (with backoff). Invalid grants always sign out. */
  onRefreshFailed?: (error: unknown, attempt: number) => 'retry' | 'logout';
  /** Storage keys prefix. Default `'auth:tokens'`. */
  keyPrefix?: string;
  /** `'memory'` keeps the refresh token out of storage (lost on reload). Default `'storage'`. */
  refreshTokenStorage?: 'storage' | 'memory';
  /** Milliseconds to wait for another tab's refresh. Default 15,000. */
  lockTimeout?: number;
  clock?: () => number;
  /** Timer functions, injectable for tests. */
  timers?: {
    setTimeout: (fn: () => void, ms: number) => unknown;
    clearTimeout: (handle: unknown) => void;
  };
  /** Revokes a refresh token at the server on `clear()` (best effort: a failure is ignored). See `httpRevoke`. */
  revoke?: (refreshToken: string) => Promise<void>;
  /** The fetch used by {@link TokenManager.fetch}. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** What work under the refresh lock gives back: the tokens, whether they are new, what to run once they are saved. */
interface LockedResult {
  tokens: HeldTokens;
  didRefresh: boolean;
  commit?: (() => Promise<void>) | undefined;
}

const MIN_BUFFER_SHARE = 0.25;
const MAX_BACKOFF = 60_000;
const CATCH_UP_MS = 3_000;
/** The longest delay `setTimeout` honours; longer ones fire at once. */
const MAX_TIMER = 2_147_483_647;

/**
 * Holds access, refresh and id tokens in a {@link Strata} (encrypted, tagged `auth`) and
 * keeps the access token fresh. A refresh is single-flight: concurrent callers in a tab
 * share one promise, and across tabs a lock lets one tab call the server while the others
 * wait and then read its result, so a rotating refresh token is never spent twice.
 * Listeners run after the lock is released; no event or error carries a token.
 */
export class TokenManager {
  readonly #options: Required<
    Pick<
      TokenManagerOptions,
      | 'refreshBuffer'
      | 'checkInterval'
      | 'proactive'
      | 'keyPrefix'
      | 'refreshTokenStorage'
      | 'lockTimeout'
    >
  > &
    TokenManagerOptions;
  readonly #events = new Emitter<TokenEvents>();
  readonly #marker: RotationMarker;
  readonly #keys: { access: string; refresh: string; id: string };
  #held: HeldTokens | undefined;
  #memoryRefreshToken: string | undefined;
  #inflight: Promise<HeldTokens> | undefined;
  #timer: unknown;
  #running = false;
  #attempt = 0;
  #expiredAnnounced = false;
  #announcedToken: string | undefined;
  #unsubscribe: Array<() => void> = [];
  /** Changes on every sign-in and sign-out seen here: a refresh begun before one is dropped. */
  #generation = 0;
  /** Memory mode: the sign-out flag is known to be in storage. */
  #flagged = false;

  constructor(options: TokenManagerOptions) {
    if (typeof options?.refresh !== 'function' || typeof options.storage?.get !== 'function') {
      throw new StrataError(
        'INVALID_OPTIONS',
        'TokenManager needs { storage: Strata, refresh: (refreshToken) => Promise<TokenResponse> }.',
      );
    }
    this.#options = {
      refreshBuffer: 60_000,
      checkInterval: 30_000,
      proactive: true,
      keyPrefix: 'auth:tokens',
      refreshTokenStorage: 'storage',
      lockTimeout: 15_000,
      ...options,
    };
    for (const name of ['refreshBuffer', 'checkInterval', 'lockTimeout'] as const) {
      const value = this.#options[name];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new StrataError(
          'INVALID_OPTIONS',
          `TokenManager option ${name} must be a finite number of milliseconds ≥ 0.`,
        );
    }
    const prefix = this.#options.keyPrefix;
    this.#keys = { access: `${prefix}:access`, refresh: `${prefix}:refresh`, id: `${prefix}:id` };
    this.#marker = new RotationMarker(`${options.storage.namespace}/${prefix}`);
    this.#watchStorage();
  }

  /** Stores tokens from a login or an external refresh. */
  async setTokens(tokens: TokenResponse): Promise<void> {
    const held = this.#normalize(tokens, undefined, this.#now());
    this.#generation++;
    await this.#save(held);
    await this.#marker.write(held.refreshToken);
    this.#expiredAnnounced = false;
    this.#reschedule();
  }

  /** The tokens held (from storage on first call); `undefined` when signed out. */
  async getTokens(): Promise<HeldTokens | undefined> {
    return this.#load();
  }

  /** A valid access token, refreshed first when expired or due; `null` when signed out or the refresh failed and the old one expired. */
  async getAccessToken(): Promise<string | null> {
    const held = await this.#load();
    if (!held) return null;
    const status = this.#statusOf(held);
    if (!status.needsRefresh) return held.accessToken;
    if (!(await this.#refreshTokenOf(held))) {
      if (status.isValid) return held.accessToken;
      this.#announceExpired(held);
      return null;
    }
    try {
      return (await this.refresh()).accessToken;
    } catch {
      // Still the old token when it is valid; nothing after a sign-out, the new one after a sign-in.
      const now = this.#held;
      return now && this.#statusOf(now).isValid ? now.accessToken : null;
    }
  }

  /**
   * Refreshes now (single flight in the tab and across tabs). Without `force` a token that
   * is still fresh, or that another tab refreshed meanwhile, is returned as is.
   */
  refresh(options: { force?: boolean } = {}): Promise<HeldTokens> {
    return this.#singleFlight(options.force === true ? { force: true } : {});
  }

  /**
   * Runs `exchange` with the refresh token under the same single flight and lock as a
   * refresh, storing the tokens it returns, then runs `commit` (still under the lock; not
   * at all when the user signed out or in meanwhile). `skipIf` is checked once the lock is
   * held: when it resolves true (another tab already did the work), `exchange` is not called.
   */
  async exchange<R extends { tokens: TokenResponse }>(
    exchange: (refreshToken: string) => Promise<R>,
    skipIf: () => Promise<boolean>,
    commit?: (result: R) => Promise<void>,
  ): Promise<R | undefined> {
    let result: R | undefined;
    await this.#locked(async (current) => {
      if (await skipIf()) return { tokens: current, didRefresh: false };
      const refreshToken = await this.#refreshTokenOf(current);
      if (!refreshToken)
        throw new StrataError(
          'NOT_AUTHENTICATED',
          'There is no refresh token to restore a session from.',
        );
      const exchanged = await exchange(refreshToken);
      result = exchanged;
      return {
        tokens: this.#normalize(exchanged.tokens, current, this.#now()),
        didRefresh: true,
        commit: commit && (() => commit(exchanged)),
      };
    });
    return result;
  }

  /** The state of the tokens, synchronously, from what this tab last read. */
  status(): TokenStatus {
    return this.#statusOf(this.#held);
  }

  /** Listens to `refreshed`, `refreshFailed`, `expired` or `cleared`. */
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
  async fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const doFetch = this.#options.fetch ?? globalThis.fetch.bind(globalThis);
    const token = await this.getAccessToken();
    // A Request keeps its own headers and body: each send gets a copy, so a retry can read the body again.
    const base = input instanceof Request ? new Request(input, init) : undefined;
    const send = (access: string | null): Promise<Response> => {
      if (base) {
        const request = base.clone();
        if (access) request.headers.set('Authorization', `Bearer ${access}`);
        return doFetch(request);
      }
      const headers = new Headers(init.headers);
      if (access) headers.set('Authorization', `Bearer ${access}`);
      return doFetch(input, { ...init, headers });
    };
    const response = await send(token);
    if (response.status !== 401 || token === null) return response;
    let fresh: HeldTokens;
    try {
      fresh = await this.#singleFlight({ force: true, stale: token });
    } catch {
      return response;
    }
    return send(fresh.accessToken);
  }

  /** Starts proactive refresh (when `proactive`). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#load().then(
      () => this.#reschedule(),
      () => this.#reschedule(),
    );
  }

  /** Stops proactive refresh. */
  stop(): void {
    this.#running = false;
    this.#clearTimer();
  }

  /**
   * Forgets every token here and in every tab, revoking the refresh token at the server first
   * when `revoke` is set. It waits for a refresh in flight in any tab (under the refresh lock),
   * so no refresh finishing later can bring the tokens back; when the lock does not come in
   * time, it signs out anyway.
   */
  async clear(): Promise<void> {
    this.#generation++;
    const signOut = async (): Promise<void> => {
      const stored = await this.#load({ fresh: true, strict: true }).catch(() => undefined);
      const refreshToken =
        stored?.refreshToken ?? this.#memoryRefreshToken ?? this.#held?.refreshToken;
      if (refreshToken && this.#options.revoke)
        await this.#options.revoke(refreshToken).catch(() => undefined);
      await this.#forget('logout');
    };
    try {
      await withLock(this.#lockName(), signOut, { timeout: this.#options.lockTimeout });
    } catch (error) {
      if (!isStrataError(error, 'LOCK_TIMEOUT')) throw error;
      await signOut();
    }
  }

  /** Stops timers and storage subscriptions. */
  dispose(): void {
    this.stop();
    this.#unsubscribe.forEach((stop) => stop());
    this.#unsubscribe = [];
  }

  // ── refresh ─────────────────────────────────────────────────────────────────────────

  #singleFlight(request: { force?: true; stale?: string }): Promise<HeldTokens> {
    this.#inflight ??= this.#locked(async (current) => {
      const stale = request.stale !== undefined && current.accessToken !== request.stale;
      if (stale || (!request.force && !this.#statusOf(current).needsRefresh))
        return { tokens: current, didRefresh: false };
      const refreshToken = await this.#refreshTokenOf(current);
      if (!refreshToken)
        throw new StrataError('NOT_AUTHENTICATED', 'There is no refresh token; sign in again.');
      const response = await this.#options.refresh(refreshToken);
      if (typeof response?.accessToken !== 'string')
        throw new StrataError('REFRESH_FAILED', 'The refresh function returned no accessToken.');
      return { tokens: this.#normalize(response, current, this.#now()), didRefresh: true };
    }).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /**
   * Runs `work` under the cross-tab refresh lock with the tokens as they are now (re-read
   * from storage, waiting for another tab's rotation to arrive). Saves what it returns,
   * then, after the lock is released, emits `refreshed` or handles the failure.
   */
  async #locked(work: (current: HeldTokens) => Promise<LockedResult>): Promise<HeldTokens> {
    let outcome: LockedResult & { byOther: boolean };
    let signedOut = false;
    // Known before any sign-out below forgets them, so no error can show them.
    const secrets = this.#secrets();
    try {
      outcome = await withLock(
        this.#lockName(),
        async () => {
          const generation = this.#generation;
          const before = this.#held?.refreshToken;
          const current = await this.#currentUnderLock();
          if (!current)
            throw new StrataError(
              'NOT_AUTHENTICATED',
              'Signed out: there are no tokens to refresh.',
            );
          const marker = await this.#marker.read();
          // Nobody signed out or in (here or in another tab) since `current` was read. What
          // cannot be read (hidden page, storage error) counts as unchanged: a good refresh is
          // never thrown away on a doubt.
          const unchanged = async (): Promise<boolean> =>
            generation === this.#generation &&
            (await this.#marker.read()) === marker &&
            (await this.#refreshKeyHolds(current)) !== false;
          let result: LockedResult;
          try {
            result = await work(current);
          } catch (error) {
            if (isInvalidGrant(error) && !(await unchanged())) throw superseded();
            if (isInvalidGrant(error)) {
              await this.#erase();
              signedOut = true;
            }
            throw error;
          }
          if (result.didRefresh) {
            if (!(await unchanged())) throw superseded();
            await this.#save(result.tokens);
            await this.#marker.write(result.tokens.refreshToken);
            await result.commit?.();
          }
          return {
            ...result,
            byOther: !result.didRefresh && before !== undefined && current.refreshToken !== before,
          };
        },
        { timeout: this.#options.lockTimeout },
      );
    } catch (error) {
      const wrapped = this.#wrap(error, secrets);
      await this.#failed(wrapped, signedOut);
      throw wrapped;
    }
    this.#attempt = 0;
    this.#expiredAnnounced = false;
    if (outcome.didRefresh || outcome.byOther)
      this.#announceRefresh(outcome.tokens, outcome.didRefresh ? 'this-tab' : 'other-tab');
    this.#reschedule();
    return outcome.tokens;
  }

  #lockName(): string {
    return `strata-refresh:${this.#options.storage.namespace}/${this.#options.keyPrefix}`;
  }

  /** Tokens read under the lock. When the marker says another tab rotated, waits for that tab's tokens to reach this one. */
  async #currentUnderLock(): Promise<HeldTokens | undefined> {
    const marker = await this.#marker.read();
    const deadline = performance.now() + CATCH_UP_MS; // real time: an injected clock may stand still
    for (;;) {
      const current = await this.#load({ fresh: true, strict: true });
      const token = current && (await this.#refreshTokenOf(current));
      if (!marker || !token || (await hashToken(token)) === marker) return current;
      if (performance.now() >= deadline) {
        throw new StrataError(
          'REFRESH_FAILED',
          'Another tab rotated the refresh token, but its new tokens did not arrive here; not spending the old one.',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  }

  /** After a failed refresh: sign-out events for an invalid grant (`signedOut`: the tokens were erased under the lock), else backoff. */
  async #failed(error: StrataError, signedOut: boolean): Promise<void> {
    if (isStrataError(error, 'NOT_AUTHENTICATED')) return this.#reschedule();
    if (isStrataError(error, 'LOCK_TIMEOUT')) {
      this.#reschedule(this.#options.checkInterval); // another tab is refreshing: not a failure of the refresh
      return;
    }
    if (isInvalidGrant(error)) {
      if (signedOut) this.#events.emit('cleared', { reason: 'invalid_grant' });
      this.#events.emit('refreshFailed', { error, attempt: ++this.#attempt, willRetry: false });
      return;
    }
    const attempt = ++this.#attempt;
    const decision = this.#options.onRefreshFailed?.(error, attempt) ?? 'retry';
    this.#events.emit('refreshFailed', {
      error,
      attempt,
      willRetry: decision === 'retry' && this.#running,
    });
    if (decision === 'logout') await this.#forget('logout');
    else this.#reschedule(Math.min(1_000 * 2 ** (attempt - 1), MAX_BACKOFF));
  }

  /** A StrataError for a refresh failure, its message free of any token. */
  #wrap(error: unknown, secrets: readonly string[]): StrataError {
    if (error instanceof StrataError) return error;
    const code = isInvalidGrant(error) ? 'INVALID_GRANT' : 'REFRESH_FAILED';
    const status =
      typeof (error as { status?: unknown })?.status === 'number'
        ? ` (HTTP ${(error as { status: number }).status})`
        : '';
    return new StrataError(
      code,
      code === 'INVALID_GRANT'
        ? 'The server rejected the refresh token; signed out.'
        : `The token refresh failed${status}.`,
      { cause: mask(error, secrets) },
    );
  }

  /** Every token this manager knows now, to be masked out of error messages. */
  #secrets(): string[] {
    return [
      this.#held?.accessToken,
      this.#held?.refreshToken,
      this.#held?.idToken,
      this.#memoryRefreshToken,
    ].filter((s): s is string => !!s && s.length >= 8);
  }

  /** Whether the refresh key still holds what `current` was read with (memory mode: the flag); undefined when it cannot be told. */
  async #refreshKeyHolds(current: HeldTokens): Promise<boolean | undefined> {
    if (isPageHidden()) return undefined;
    const stored = await this.#options.storage
      .get<string>(this.#keys.refresh)
      .catch(() => undefined);
    if (stored === undefined) return undefined;
    return this.#options.refreshTokenStorage === 'memory'
      ? stored !== null
      : stored === current.refreshToken;
  }

  // ── storage ─────────────────────────────────────────────────────────────────────────

  /** The tokens, from storage unless held (`fresh`: always). `strict`: never the page-hidden fallback. */
  async #load(
    options: { fresh?: boolean; strict?: boolean } = {},
  ): Promise<HeldTokens | undefined> {
    if (this.#held && !options.fresh) return this.#held;
    const strata = this.#options.storage;
    const [access, refresh, id] = await Promise.all([
      strata.get<Omit<HeldTokens, 'refreshToken' | 'idToken'>>(this.#keys.access),
      this.#options.refreshTokenStorage === 'memory'
        ? Promise.resolve(this.#memoryRefreshToken ?? null)
        : strata.get<string>(this.#keys.refresh),
      strata.get<string>(this.#keys.id),
    ]);
    if (!access && !refresh) {
      // Empty reads while the page is hidden (storage being torn down) mean "unknown", not
      // "signed out": reads keep what this tab holds, but nothing is spent or saved on it.
      if (this.#held && isPageHidden()) return options.strict ? undefined : this.#held;
      this.#held = undefined;
      return undefined;
    }
    const held: HeldTokens = {
      accessToken: access?.accessToken ?? '',
      expiresAt: access ? access.expiresAt : 0,
      issuedAt: access?.issuedAt ?? 0,
      lastRefreshAt: access?.lastRefreshAt ?? null,
    };
    if (refresh) held.refreshToken = refresh;
    if (id) held.idToken = id;
    if (typeof access?.refreshExpiresAt === 'number')
      held.refreshExpiresAt = access.refreshExpiresAt;
    this.#held = held;
    return held;
  }

  async #save(held: HeldTokens): Promise<void> {
    const strata = this.#options.storage;
    const base = { encrypt: true, tags: ['auth'] };
    const now = this.#now();
    const accessTtl = held.expiresAt === null ? undefined : Math.max(held.expiresAt - now, 1);
    const refreshTtl =
      held.refreshExpiresAt === undefined ? undefined : Math.max(held.refreshExpiresAt - now, 1);
    // Refresh and id tokens first, the access token last: another tab re-reads everything
    // when it hears of the access token, so it must find the matching refresh token there.
    if (this.#options.refreshTokenStorage === 'memory') {
      this.#memoryRefreshToken = held.refreshToken;
      // No token in storage, only a flag whose removal tells the other tabs of a sign-out
      // (written once, or again when the refresh token's lifetime, which it follows, is known).
      if (!this.#flagged || refreshTtl !== undefined)
        await strata.set(
          this.#keys.refresh,
          '',
          refreshTtl === undefined ? base : { ...base, ttl: refreshTtl },
        );
      this.#flagged = true;
    } else if (held.refreshToken)
      await strata.set(
        this.#keys.refresh,
        held.refreshToken,
        refreshTtl === undefined ? base : { ...base, ttl: refreshTtl },
      );
    if (held.idToken) await strata.set(this.#keys.id, held.idToken, base);
    const access: Omit<HeldTokens, 'refreshToken' | 'idToken'> = {
      accessToken: held.accessToken,
      expiresAt: held.expiresAt,
      issuedAt: held.issuedAt,
      lastRefreshAt: held.lastRefreshAt,
    };
    if (held.refreshExpiresAt !== undefined) access.refreshExpiresAt = held.refreshExpiresAt;
    await strata.set(
      this.#keys.access,
      access,
      accessTtl === undefined ? base : { ...base, ttl: accessTtl },
    );
    this.#held = held;
  }

  async #refreshTokenOf(held: HeldTokens): Promise<string | undefined> {
    return held.refreshToken ?? this.#memoryRefreshToken;
  }

  async #forget(reason: TokenEvents['cleared']['reason']): Promise<void> {
    const had = await this.#erase();
    if (had || reason !== 'logout') this.#events.emit('cleared', { reason });
  }

  /** Removes the tokens here and from storage (every tab); true when this tab held some. */
  async #erase(): Promise<boolean> {
    const strata = this.#options.storage;
    const had = this.#held !== undefined;
    this.#generation++;
    this.#held = undefined;
    this.#memoryRefreshToken = undefined;
    this.#flagged = false;
    this.#clearTimer();
    await Promise.all([
      strata.remove(this.#keys.access),
      strata.remove(this.#keys.refresh),
      strata.remove(this.#keys.id),
      this.#marker.write(undefined),
    ]);
    return had;
  }

  /** Follows changes other tabs make: a rotation, a sign-out, or a key that can no longer decrypt. */
  #watchStorage(): void {
    const strata = this.#options.storage;
    this.#unsubscribe.push(
      strata.subscribe(`${this.#options.keyPrefix}:`, (change) => {
        if (change.source !== 'remote') return;
        if (change.key === this.#keys.refresh && change.newValue === null) {
          const had = this.#held !== undefined;
          this.#generation++;
          this.#held = undefined;
          this.#memoryRefreshToken = undefined;
          this.#flagged = false;
          this.#clearTimer();
          if (had) this.#events.emit('cleared', { reason: 'remote' });
        } else if (change.newValue !== null) {
          const before = this.#held?.accessToken;
          this.#held = undefined; // re-read on next use
          void this.#load().then(
            (held) => {
              // Another tab refreshed: tell this tab's listeners too (a sign-in elsewhere is not a refresh).
              if (
                change.key === this.#keys.access &&
                before &&
                held?.accessToken &&
                held.accessToken !== before
              )
                this.#announceRefresh(held, 'other-tab');
              this.#reschedule();
            },
            () => undefined,
          );
        }
      }),
      strata.on('error', (error) => {
        const ours = error.key !== undefined && Object.values(this.#keys).includes(error.key);
        if (ours && (error.code === 'DECRYPT_FAILED' || error.code === 'KEY_LOST') && this.#held) {
          this.#held = undefined;
          this.#events.emit('cleared', { reason: 'key_lost' });
        }
      }),
    );
  }

  // ── time ────────────────────────────────────────────────────────────────────────────

  #normalize(response: TokenResponse, previous: HeldTokens | undefined, now: number): HeldTokens {
    const held: HeldTokens = {
      accessToken: response.accessToken,
      expiresAt: expiryOf(response, now, previous !== undefined),
      issuedAt: now,
      lastRefreshAt: previous ? now : null,
    };
    const refreshToken =
      response.refreshToken ?? previous?.refreshToken ?? this.#memoryRefreshToken;
    if (refreshToken) held.refreshToken = refreshToken;
    if (typeof response.refreshExpiresIn === 'number' && response.refreshExpiresIn > 0)
      held.refreshExpiresAt = now + response.refreshExpiresIn * 1000;
    else if (previous?.refreshExpiresAt !== undefined && refreshToken === previous.refreshToken)
      held.refreshExpiresAt = previous.refreshExpiresAt;
    const idToken = response.idToken ?? previous?.idToken;
    if (idToken) held.idToken = idToken;
    return held;
  }

  #statusOf(held: HeldTokens | undefined): TokenStatus {
    const now = this.#now();
    if (!held) {
      return {
        isValid: false,
        expiresAt: null,
        refreshAt: null,
        lastRefreshAt: null,
        timeUntilExpiry: null,
        timeUntilRefresh: null,
        needsRefresh: false,
        isRunning: this.#running,
      };
    }
    const { expiresAt } = held;
    const lifetime = expiresAt === null ? null : Math.max(expiresAt - held.issuedAt, 0);
    const buffer =
      lifetime === null ? 0 : Math.min(this.#options.refreshBuffer, lifetime * MIN_BUFFER_SHARE);
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
      isRunning: this.#running,
    };
  }

  /** Emits `refreshed` once per new access token, however this tab learned of it. */
  #announceRefresh(held: HeldTokens, by: TokenEvents['refreshed']['by']): void {
    if (held.accessToken === this.#announcedToken) return;
    this.#announcedToken = held.accessToken;
    this.#events.emit('refreshed', { expiresAt: held.expiresAt, by });
  }

  #announceExpired(held: HeldTokens): void {
    if (this.#expiredAnnounced) return;
    this.#expiredAnnounced = true;
    this.#events.emit('expired', { expiresAt: held.expiresAt });
  }

  /** Plans the next proactive check: at the refresh time, or after `delay` (backoff), capped by checkInterval. */
  #reschedule(delay?: number): void {
    this.#clearTimer();
    if (!this.#running || !this.#options.proactive) return;
    const status = this.status();
    const wait =
      delay ??
      Math.min(this.#options.checkInterval, status.timeUntilRefresh ?? this.#options.checkInterval);
    const timers = this.#options.timers ?? {
      setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
      clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    this.#timer = timers.setTimeout(
      () => void this.#check(),
      Math.min(Math.max(wait, 0), MAX_TIMER),
    );
  }

  async #check(): Promise<void> {
    this.#timer = undefined;
    if (!this.#running) return;
    const held = await this.#load({ fresh: true }).catch(() => this.#held);
    if (!held) return this.#reschedule();
    if (!this.#statusOf(held).needsRefresh) return this.#reschedule();
    if (!(await this.#refreshTokenOf(held))) {
      this.#announceExpired(held);
      return;
    }
    await this.refresh().catch(() => undefined); // failures are emitted and rescheduled in #failed
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    const timers = this.#options.timers;
    if (timers) timers.clearTimeout(this.#timer);
    else clearTimeout(this.#timer as ReturnType<typeof setTimeout>);
    this.#timer = undefined;
  }

  #now(): number {
    return (this.#options.clock ?? Date.now)();
  }
}

/**
 * Expiry by this browser's clock: from `expiresIn` (relative: immune to clock skew),
 * `expiresAt`, or the JWT's lifetime. For a token the server has just issued in a refresh
 * (`refreshed`), an absolute expiry already past says this clock is wrong, not that the
 * token is dead: it counts as unknown (`null`), so a skewed clock never turns into a
 * refresh loop (a 401 still refreshes through `fetch`).
 */
function expiryOf(response: TokenResponse, now: number, refreshed: boolean): number | null {
  if (typeof response.expiresIn === 'number' && response.expiresIn > 0)
    return now + response.expiresIn * 1000;
  const times = readJwtTimes(response.accessToken);
  if (
    !(typeof response.expiresAt === 'number' && response.expiresAt > 0) &&
    times?.exp !== undefined &&
    times.iat !== undefined
  )
    return now + (times.exp - times.iat) * 1000;
  const absolute =
    typeof response.expiresAt === 'number' && response.expiresAt > 0
      ? response.expiresAt < 1e12
        ? response.expiresAt * 1000
        : response.expiresAt
      : times?.exp !== undefined
        ? times.exp * 1000
        : null;
  return absolute !== null && refreshed && absolute <= now ? null : absolute;
}

/**
 * A copy of an error with its name, status, OAuth error code and message, `secrets` masked out of the
 * message. Never the original: HTTP clients' errors carry the request (and so the refresh
 * token) in fields that error reporters serialize.
 */
function mask(error: unknown, secrets: readonly string[]): Error {
  let message = error instanceof Error ? error.message : 'Non-error value thrown';
  for (const secret of secrets) message = message.split(secret).join('[token]');
  const masked = new Error(message);
  masked.name = error instanceof Error ? error.name : 'Error';
  const { status, error: oauthError } = (error ?? {}) as { status?: unknown; error?: unknown };
  if (typeof status === 'number') Object.assign(masked, { status });
  if (isOAuthErrorCode(oauthError)) Object.assign(masked, { error: oauthError });
  return masked;
}

/** The error of a refresh whose result was dropped: the user signed out or in meanwhile. */
function superseded(): StrataError {
  return new StrataError(
    'NOT_AUTHENTICATED',
    'The user signed out or in while the refresh was in flight; its result was dropped.',
  );
}

/**
 * True for an error that means "this refresh token is no good" (the user must sign in
 * again): `INVALID_GRANT`, an error whose OAuth `error` is `invalid_grant`, or one whose
 * `status` is 400/401 unless its OAuth `error` blames the client (`invalid_client`, …).
 */
export function isInvalidGrant(error: unknown): boolean {
  if (isStrataError(error, 'INVALID_GRANT')) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { error: oauthError, status } = error as { error?: unknown; status?: unknown };
  return oauthError === 'invalid_grant' || meansGrantRejected(status, oauthError);
}

function isPageHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}
