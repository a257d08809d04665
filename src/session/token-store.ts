import { RotationMarker } from './rotation-marker.js';
import type { StrataLike } from './strata-like.js';
import { ttlUntil } from './token-times.js';
import type { HeldTokens } from './token-types.js';

/** What this tab knows of the tokens; it changes only through {@link nextTokenState}. */
export interface TokenState {
  /** This tab's copy; `undefined`: signed out, or read storage again on next use. */
  held: HeldTokens | undefined;
  /** `refreshTokenStorage: 'memory'`: the refresh token, kept nowhere else. */
  memoryRefreshToken: string | undefined;
  /** Memory mode: the sign-out flag is known to be in storage. */
  flagged: boolean;
  /** Changes on every sign-in and sign-out seen here: a refresh begun before one is dropped. */
  generation: number;
}

/**
 * Every way the token state can change; `supersede`: a sign-in or sign-out begins, refreshes in
 * flight are dropped.
 */
type TokenTransition =
  | { type: 'supersede' }
  | { type: 'read'; held: HeldTokens | undefined }
  | { type: 'saved'; held: HeldTokens; memoryRefreshToken?: string | undefined }
  | { type: 'stale' }
  | { type: 'signed-out' };

/** The state after `transition`; the only writer of {@link TokenState}. */
export function nextTokenState(state: TokenState, transition: TokenTransition): TokenState {
  switch (transition.type) {
    case 'supersede':
      return { ...state, generation: state.generation + 1 };
    case 'read':
      return { ...state, held: transition.held };
    case 'saved':
      return 'memoryRefreshToken' in transition
        ? {
            ...state,
            held: transition.held,
            memoryRefreshToken: transition.memoryRefreshToken,
            flagged: true,
          }
        : { ...state, held: transition.held };
    case 'stale':
      return { ...state, held: undefined };
    case 'signed-out':
      return {
        held: undefined,
        memoryRefreshToken: undefined,
        flagged: false,
        generation: state.generation + 1,
      };
  }
}

/** What {@link TokenStore.follow} reports of other tabs' changes. */
interface TokenStoreWatcher {
  /** Another tab signed out (its refresh key is gone). */
  signedOutElsewhere(): void;
  /**
   * Another tab wrote a key under the prefix (`isAccess`: the access record, a refresh or a
   * sign-in).
   */
  changedElsewhere(isAccess: boolean): void;
  /** A stored token can no longer be decrypted. */
  keyLost(): void;
}

/** Options of {@link TokenStore}. */
interface TokenStoreOptions {
  storage: StrataLike;
  keyPrefix: string;
  refreshTokenStorage: 'storage' | 'memory';
  now: () => number;
}

type StoredAccess = Omit<HeldTokens, 'refreshToken' | 'idToken'>;

/**
 * The tokens' persistence: the access record, refresh token (or, in memory mode, a flag)
 * and id token under `<prefix>:access|refresh|id`, encrypted and tagged `auth`; the
 * rotation marker in IndexedDB (not in memory mode: nothing of the refresh token is at rest
 * then); and this tab's copy, the {@link TokenState}.
 */
export class TokenStore {
  readonly keys: { readonly access: string; readonly refresh: string; readonly id: string };
  readonly #options: TokenStoreOptions;
  /** `undefined` in memory mode: no other tab holds, so none can rotate, this tab's token. */
  readonly #marker: RotationMarker | undefined;
  readonly #markerName: string;
  /** Memory mode: the access token saved with this tab's refresh token (in memory only). */
  #pairedAccess: string | undefined;
  /** Memory mode: what an earlier mode or release recorded of a refresh token is deleted. */
  #discarded: Promise<void> | undefined;
  #state: TokenState = {
    held: undefined,
    memoryRefreshToken: undefined,
    flagged: false,
    generation: 0,
  };

  constructor(options: TokenStoreOptions) {
    const prefix = options.keyPrefix;
    this.#options = options;
    this.keys = { access: `${prefix}:access`, refresh: `${prefix}:refresh`, id: `${prefix}:id` };
    this.#markerName = `${options.storage.namespace}/${prefix}`;
    this.#marker = this.#memory ? undefined : new RotationMarker(this.#markerName, options.now);
  }

  /** This tab's copy of the tokens. */
  get held(): HeldTokens | undefined {
    return this.#state.held;
  }

  /** See {@link TokenState.generation}. */
  get generation(): number {
    return this.#state.generation;
  }

  /** Changes the token state (see {@link nextTokenState}). */
  apply(transition: TokenTransition): void {
    this.#state = nextTokenState(this.#state, transition);
  }

  /**
   * The refresh token that goes with `held` (without: this tab's memory-mode one), wherever it is
   * kept.
   */
  refreshTokenOf(held?: HeldTokens): string | undefined {
    return held?.refreshToken ?? this.#state.memoryRefreshToken;
  }

  /** Every token this tab knows now, to be masked out of error messages. */
  secrets(): string[] {
    const { held, memoryRefreshToken } = this.#state;
    return [held?.accessToken, held?.refreshToken, held?.idToken, memoryRefreshToken].filter(
      (s): s is string => !!s && s.length >= 8,
    );
  }

  /**
   * The tokens, from storage unless held (`fresh`: always). `strict`: never the page-hidden
   * fallback. A read overtaken by a sign-in or sign-out here gives this tab's copy as it now
   * is, never what storage held before.
   */
  async load(options: { fresh?: boolean; strict?: boolean } = {}): Promise<HeldTokens | undefined> {
    const { held: before, memoryRefreshToken, generation } = this.#state;
    if (before && !options.fresh) return before;
    const strata = this.#options.storage;
    const [access, refresh, id] = await Promise.all([
      strata.get<StoredAccess>(this.keys.access),
      this.#memory
        ? Promise.resolve(memoryRefreshToken ?? null)
        : strata.get<string>(this.keys.refresh),
      strata.get<string>(this.keys.id),
    ]);
    if (this.#state.generation !== generation) return this.#state.held;
    if (!access && !refresh) {
      // A hidden page's storage may be torn down: empty means unknown, nothing is spent on it.
      const held = this.#state.held;
      if (held && isPageHidden()) return options.strict ? undefined : held;
      this.apply({ type: 'read', held: undefined });
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
    this.apply({ type: 'read', held });
    return held;
  }

  /** Stores `held` in every key and records its refresh token as current. */
  async save(held: HeldTokens): Promise<void> {
    const strata = this.#options.storage;
    const base = { encrypt: true, tags: ['auth'] };
    const now = this.#options.now();
    const accessTtl = ttlUntil(held.expiresAt, now);
    const refreshTtl = ttlUntil(held.refreshExpiresAt, now);
    const withTtl = (ttl: number | undefined) => (ttl === undefined ? base : { ...base, ttl });
    // Access token last: a tab that hears of it re-reads the rest, which must match by then.
    if (this.#memory) {
      // Only a flag, whose removal signs other tabs out; rewritten when its lifetime is known.
      if (!this.#state.flagged || refreshTtl !== undefined)
        await strata.set(this.keys.refresh, '', withTtl(refreshTtl));
    } else if (held.refreshToken) {
      await strata.set(this.keys.refresh, held.refreshToken, withTtl(refreshTtl));
    }
    if (held.idToken) await strata.set(this.keys.id, held.idToken, base);
    const access: StoredAccess = {
      accessToken: held.accessToken,
      expiresAt: held.expiresAt,
      issuedAt: held.issuedAt,
      lastRefreshAt: held.lastRefreshAt,
    };
    if (held.refreshExpiresAt !== undefined) access.refreshExpiresAt = held.refreshExpiresAt;
    await strata.set(this.keys.access, access, withTtl(accessTtl));
    this.apply(
      this.#memory
        ? { type: 'saved', held, memoryRefreshToken: held.refreshToken }
        : { type: 'saved', held },
    );
    await this.#recordCurrent(held);
  }

  /** Removes every key and the marker (every tab sees the sign-out); the state is the caller's. */
  async erase(): Promise<void> {
    const strata = this.#options.storage;
    await Promise.all([
      strata.remove(this.keys.access),
      strata.remove(this.keys.refresh),
      strata.remove(this.keys.id),
      this.#recordCurrent(undefined),
    ]);
  }

  /** The marker of the refresh token last recorded as current, by any tab (memory mode: none). */
  async readMarker(): Promise<string | undefined> {
    return this.#marker?.read();
  }

  /**
   * Whether `held`'s refresh token is the one the marker records (true when there is no marker).
   * Memory mode: whether the stored access token is the one saved with it (true when unknown),
   * as another tab's sign-in replaces it.
   */
  async matchesMarker(held: HeldTokens | undefined, marker: string | undefined): Promise<boolean> {
    const token = held && this.refreshTokenOf(held);
    if (this.#marker) return this.#marker.matches(token, marker);
    return !token || !held.accessToken || held.accessToken === this.#pairedAccess;
  }

  /**
   * Whether shared storage says a tab signed out of `held` (the marker records a sign-out; memory
   * mode: the flag is gone, or another sign-in replaced the access token), before this tab hears.
   */
  async signedOutElsewhere(held: HeldTokens): Promise<boolean> {
    if (this.#marker) return this.#marker.recordsSignOut(await this.#marker.read());
    return (await this.refreshKeyHolds(held)) === false;
  }

  /** Records `held`'s refresh token as current (`undefined`: signed out), wherever it is kept. */
  async #recordCurrent(held: HeldTokens | undefined): Promise<void> {
    if (this.#marker) return this.#marker.write(held?.refreshToken);
    this.#pairedAccess = held?.accessToken;
    await (this.#discarded ??= RotationMarker.discard(this.#markerName));
  }

  /**
   * Whether the refresh key still holds what `current` was read with (memory mode: the flag);
   * undefined when it cannot be told.
   */
  async refreshKeyHolds(current: HeldTokens): Promise<boolean | undefined> {
    if (isPageHidden()) return undefined;
    const stored = await this.#options.storage
      .get<string>(this.keys.refresh)
      .catch(() => undefined);
    if (stored === undefined) return undefined;
    if (!this.#memory) return stored === current.refreshToken;
    return stored !== null && (await this.#accessHolds(current));
  }

  /** Memory mode: whether the stored access token is still `current`'s (true when unknown). */
  async #accessHolds(current: HeldTokens): Promise<boolean> {
    const stored = await this.#options.storage
      .get<StoredAccess>(this.keys.access)
      .catch(() => null);
    // An expired access record says nothing; another tab's sign-in writes a different token.
    return !stored?.accessToken || stored.accessToken === current.accessToken;
  }

  /**
   * Reports other tabs' changes to the keys, and keys that no longer decrypt; returns the stop
   * function.
   */
  follow(watcher: TokenStoreWatcher): () => void {
    const strata = this.#options.storage;
    const { access, refresh, id } = this.keys;
    const stops = [
      strata.subscribe(`${this.#options.keyPrefix}:`, (change) => {
        if (change.source !== 'remote') return;
        if (change.key === refresh && change.newValue === null) watcher.signedOutElsewhere();
        else if (change.newValue !== null) watcher.changedElsewhere(change.key === access);
      }),
      strata.on('error', (error) => {
        const ours = error.key === access || error.key === refresh || error.key === id;
        if (ours && (error.code === 'DECRYPT_FAILED' || error.code === 'KEY_LOST'))
          watcher.keyLost();
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }

  get #memory(): boolean {
    return this.#options.refreshTokenStorage === 'memory';
  }
}

function isPageHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}
