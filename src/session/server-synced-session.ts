import { StrataError } from '../errors.js';
import { Emitter } from '../events.js';
import { resolveTimers, unref, type IntervalTimers, type Timers } from '../timers.js';
import type { StrataLike } from './strata-like.js';
import { httpError, pickFetch, postJson } from './transport.js';
import type { AuthenticatedFetcher, FetchLike } from './transport.js';

/** A session as {@link ServerSyncedSession} keeps it: any JSON object. */
export type SyncedSessionData = Record<string, unknown>;

/** Combines the local session with the server's answer into the session to store. */
export type SessionMerge = (
  local: SyncedSessionData,
  server: SyncedSessionData,
) => SyncedSessionData;

/** Options of {@link ServerSyncedSession}. */
export interface ServerSyncedSessionOptions {
  /** Where the data lives: a `Strata` (or any {@link StrataLike}). */
  storage: StrataLike;
  /** Adds the Bearer token and refreshes once on a 401 (a `TokenManager`). */
  tokens?: AuthenticatedFetcher;
  /** Or any fetch (it must authenticate itself). Default: `tokens.fetch`, else the platform's. */
  fetch?: FetchLike;
  /** Default `'/api/session/sync'`. */
  endpoint?: string;
  /** Storage key of the session. Default `'session'`. */
  key?: string;
  /** Sync every this many ms once started. Default 60,000. */
  interval?: number;
  /** Keys the server owns. Default `['auth', 'user', 'roles', 'permissions']`. */
  serverKeys?: string[];
  /** Replaces the default merge ({@link mergeServerSession} with `serverKeys`). */
  merge?: SessionMerge;
  /** Storage options of the session. Default: encrypted, tagged `auth`. */
  encrypt?: boolean;
  /** Wall-clock time in epoch ms. Default `Date.now`. */
  clock?: () => number;
  /** The interval's timer functions, injectable for tests. Default: the platform's. */
  timers?: IntervalTimers;
}

/**
 * What one sync did. `skipped`: there was no session to sync, or the sync was overtaken by a
 * sign-out or revoke (its answer is dropped, nothing is stored).
 */
export type SyncOutcome =
  | { status: 'synced'; session: SyncedSessionData }
  | { status: 'skipped' }
  | { status: 'unauthorized' }
  | { status: 'failed'; error: StrataError };

/** Events of {@link ServerSyncedSession.on}. */
export interface ServerSyncedSessionEvents {
  synced: SyncedSessionData;
  /** The server answered 401: the local session was removed and syncing stopped. */
  cleared: { reason: 'unauthorized' };
  error: StrataError;
}

/**
 * The default merge: the server wins for `serverKeys` it sends (a key it leaves out keeps
 * the local value), the local session wins for everything else (UI state, preferences),
 * and the server's other fields are kept under `serverData`.
 */
export function mergeServerSession(
  local: SyncedSessionData,
  server: SyncedSessionData,
  serverKeys: readonly string[],
): SyncedSessionData {
  const merged: SyncedSessionData = { ...local };
  const serverData: SyncedSessionData = {};
  for (const [name, value] of Object.entries(server)) {
    if (serverKeys.includes(name)) merged[name] = value;
    else serverData[name] = value;
  }
  merged.serverData = serverData;
  return merged;
}

/**
 * A server-synced session: a session object kept in a `Strata` and
 * reconciled with the server (`POST endpoint { session }`, Bearer token from the
 * `TokenManager`) every `interval` once {@link start}ed, or on {@link syncNow}. The server
 * wins for auth, user, roles and permissions; the local session wins for the rest, unless
 * a `merge` says otherwise. Changes made while a request is in flight are kept (the merge
 * reads the session again after the answer). A 401 (after the TokenManager's one refresh)
 * removes the session and stops the timer, unless the TokenManager still holds tokens (its
 * refresh failed for a reason that may pass, such as a network error): that 401 is a
 * failure. Nothing throws from the timer: failures are `'error'` events and
 * `{ status: 'failed' }` results, and the local session stays. A sync overtaken by a revoke
 * (the TokenManager's `clear()`, a sign-out in any tab, an invalid grant) while its request is
 * in flight resolves `{ status: 'skipped' }` and stores nothing, and a `syncNow()` after the
 * revoke starts a new sync instead of joining it; so does a sync whose answer arrives after
 * another tab's sign-out began but before its `cleared` reached this tab.
 */
export class ServerSyncedSession {
  readonly #storage: StrataLike;
  readonly #fetch: FetchLike;
  readonly #tokens: AuthenticatedFetcher | undefined;
  readonly #endpoint: string;
  readonly #key: string;
  readonly #interval: number;
  readonly #merge: SessionMerge;
  readonly #encrypt: boolean;
  readonly #timers: Timers;
  readonly #events = new Emitter<ServerSyncedSessionEvents>();
  #timer: unknown;
  /** The sync in flight that callers join; `overtaken`: a revoke came since it began. */
  #syncing: { promise: Promise<SyncOutcome>; overtaken: boolean } | undefined;

  constructor(options: ServerSyncedSessionOptions) {
    if (typeof options?.storage?.get !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'ServerSyncedSession needs { storage: Strata }.');
    const interval = options.interval ?? 60_000;
    if (!(Number.isFinite(interval) && interval > 0))
      throw new StrataError(
        'INVALID_OPTIONS',
        'interval must be a positive number of milliseconds.',
      );
    const serverKeys = options.serverKeys ?? ['auth', 'user', 'roles', 'permissions'];
    if (!Array.isArray(serverKeys) || serverKeys.some((name) => typeof name !== 'string'))
      throw new StrataError('INVALID_OPTIONS', 'serverKeys must be a list of strings.');
    this.#storage = options.storage;
    this.#fetch = pickFetch(options.fetch, options.tokens);
    this.#tokens = options.tokens;
    this.#endpoint = options.endpoint ?? '/api/session/sync';
    this.#key = options.key ?? 'session';
    this.#interval = interval;
    this.#merge =
      options.merge ?? ((local, server) => mergeServerSession(local, server, serverKeys));
    this.#encrypt = options.encrypt ?? true;
    this.#timers = resolveTimers(options);
  }

  /** The stored session; `null` when there is none. */
  get(): Promise<SyncedSessionData | null> {
    return this.#storage.get<SyncedSessionData>(this.#key);
  }

  /** Replaces the stored session. */
  async set(session: SyncedSessionData): Promise<void> {
    if (session === null || typeof session !== 'object' || Array.isArray(session))
      throw new StrataError('INVALID_OPTIONS', 'A synced session is a plain object.');
    await this.#storage.set(this.#key, session, { encrypt: this.#encrypt, tags: ['auth'] });
  }

  /** Sets a dotted `path` (`'ui.theme'`) in the stored session, creating objects on the way. */
  async updateSessionData(path: string, value: unknown): Promise<void> {
    const parts = typeof path === 'string' ? path.split('.') : [];
    if (
      parts.length === 0 ||
      parts.some(
        (part) =>
          part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype',
      )
    ) {
      throw new StrataError(
        'INVALID_OPTIONS',
        'updateSessionData needs a dotted path of non-empty names.',
      );
    }
    const session = (await this.get()) ?? {};
    let node: SyncedSessionData = session;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = node[part] =
        next !== null && typeof next === 'object' && !Array.isArray(next)
          ? (next as SyncedSessionData)
          : {};
    }
    node[parts[parts.length - 1] as string] = value;
    await this.set(session);
  }

  /** Syncs now and then every `interval` ms. Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    unref((this.#timer = this.#timers.setInterval(() => void this.syncNow(), this.#interval)));
    void this.syncNow();
  }

  /** Stops the timer (a sync in flight finishes). */
  stop(): void {
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** True between {@link start} and {@link stop}. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Syncs once; concurrent calls share one request, unless a revoke came since it began: then
   * this call starts a new sync. Never rejects.
   */
  syncNow(): Promise<SyncOutcome> {
    if (this.#syncing) return this.#syncing.promise;
    const flight = { promise: undefined as unknown as Promise<SyncOutcome>, overtaken: false };
    const stopListening = this.#tokens?.on?.('cleared', () => {
      flight.overtaken = true;
      if (this.#syncing === flight) this.#syncing = undefined;
    });
    this.#syncing = flight;
    flight.promise = this.#sync(flight)
      .catch((error: unknown) =>
        this.#failed(
          error instanceof StrataError
            ? error
            : new StrataError('NETWORK', 'Session sync failed.', { cause: error }),
        ),
      )
      .finally(() => {
        stopListening?.();
        if (this.#syncing === flight) this.#syncing = undefined;
      });
    return flight.promise;
  }

  /** Listens to `'synced'`, `'cleared'` and `'error'`. */
  on<E extends keyof ServerSyncedSessionEvents>(
    event: E,
    handler: (payload: ServerSyncedSessionEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, handler);
  }

  /** Whether the TokenManager given as `tokens` still holds tokens (false without one). */
  async #tokensHeld(): Promise<boolean> {
    const held = await this.#tokens?.getTokens?.().catch(() => undefined);
    return held !== undefined && held !== null;
  }

  async #sync(flight: { readonly overtaken: boolean }): Promise<SyncOutcome> {
    const local = await this.get();
    if (!local) return { status: 'skipped' };
    const heldBefore = await this.#tokensHeld();
    const response = await postJson(this.#fetch, this.#endpoint, { session: local });
    // Revoked meanwhile (told, the tokens gone, or another tab signing or signed out before this
    // tab hears): this answer is no longer the user's.
    const overtaken = async () =>
      flight.overtaken ||
      (heldBefore &&
        (!(await this.#tokensHeld()) || (await this.#tokens?.stillSignedIn?.()) === false));
    if (response.status !== 401 && (await overtaken())) return { status: 'skipped' };
    if (response.status === 401 && !(await this.#tokensHeld())) {
      this.stop();
      await this.#storage.remove(this.#key);
      this.#events.emit('cleared', { reason: 'unauthorized' });
      return { status: 'unauthorized' };
    }
    if (!response.ok) return this.#failed(httpError(this.#endpoint, response.status));
    const body = (await response.json().catch(() => null)) as { session?: unknown } | null;
    const server = body?.session;
    if (server === null || typeof server !== 'object' || Array.isArray(server)) {
      return this.#failed(
        new StrataError(
          'INVALID_MESSAGE',
          `POST ${this.#endpoint} answered without a session object.`,
        ),
      );
    }
    const current = await this.get(); // keep edits made while the request was in flight
    if (!current) return { status: 'skipped' }; // signed out meanwhile: do not bring it back
    if (await overtaken()) return { status: 'skipped' };
    const merged = {
      ...this.#merge(current, server as SyncedSessionData),
      lastSync: this.#timers.now(),
    };
    await this.set(merged);
    this.#events.emit('synced', merged);
    return { status: 'synced', session: merged };
  }

  #failed(error: StrataError): SyncOutcome {
    this.#events.emit('error', error);
    return { status: 'failed', error };
  }
}
