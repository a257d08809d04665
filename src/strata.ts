import { createAdapter } from './adapters/create.js';
import { serialize } from './codec/serialize.js';
import { KeyLoader } from './crypto/key-loader.js';
import { hasKeyMeta } from './crypto/meta-copies.js';
import { rotationTarget, secretOf } from './crypto/secret.js';
import { isTransientError, StrataError, toStorageError } from './errors.js';
import { askToPersist, EvictionWatch } from './eviction.js';
import { Reporter, type StrataEvents } from './reporter.js';
import { assertKey, compilePattern } from './keys.js';
import { LayerChain, type AdapterFactory } from './layer-chain.js';
import {
  assertClearFilter,
  assertSetOptions,
  resolveOptions,
  type ResolvedOptions,
} from './options.js';
import { Reader, type Found } from './reader.js';
import { Remover } from './remover.js';
import { Writer } from './writer.js';
import { createStoreContext, type StoreContext } from './store-context.js';
import { Sweeper } from './sweeper.js';
import type { SyncChannel } from './sync/channel.js';
import type { SyncMessage } from './sync/messages.js';
import { guardFallback, type ChannelTransportFactory } from './sync/transport.js';
import type {
  ChangeListener,
  ClearFilter,
  ItemInfo,
  SetOptions,
  StorageKind,
  StrataOptions,
  StrataStatus,
} from './types.js';

export type { StrataEvents } from './reporter.js';
export type { LayerStatus } from './layer-chain.js';
export type { StrataStatus } from './types.js';

/**
 * Internal `set` option (not exported from the package): the keys whose stored tags the new
 * item also carries. Lets a migration keep the tags of items it copies, sealed ones included
 * (a sealed record's tags are inside its ciphertext).
 */
export const TAGS_OF: unique symbol = Symbol('tagsOf');

/** Internal constructor option for tests: builds the adapters instead of the browser's. */
export const ADAPTERS: unique symbol = Symbol('adapters');

type InternalSetOptions = SetOptions & { [TAGS_OF]?: readonly string[] };
type InternalOptions = StrataOptions & { [ADAPTERS]?: AdapterFactory };

/**
 * Layered browser storage for one namespace: `localStorage`, `sessionStorage`, IndexedDB,
 * an encrypted IndexedDB (`'secure'`) and memory behind one async API, with AES-GCM at rest,
 * TTL (fixed or sliding), tags, and cross-tab sync. Constructing touches no browser
 * global; the first call (or {@link ready}) picks the layers.
 *
 * @example
 * const strata = new Strata({ namespace: 'app', encryption: { enabled: true } });
 * await strata.set('session:cart', items, { ttl: 30 * 60_000, sliding: true, tags: ['user'] });
 * const cart = await strata.get<Item[]>('session:cart');
 */
export class Strata {
  readonly #options: ResolvedOptions;
  readonly #reporter: Reporter;
  readonly #ctx: StoreContext;
  readonly #reader: Reader;
  readonly #remover: Remover;
  readonly #writer: Writer;
  readonly #sweeper: Sweeper;
  /** `sync.fallback`, given a time limit and given up on after its first failure. */
  readonly #fallback: ChannelTransportFactory | undefined;
  #ready: Promise<void> | undefined;
  /** True once {@link ready} has succeeded: calls then skip awaiting it. */
  #started = false;
  #closed = false;
  /** Writes called and not settled: close() lets them finish. */
  readonly #writes = new Set<Promise<unknown>>();
  readonly #keys: KeyLoader;
  #channel: SyncChannel | undefined;
  readonly #eviction: EvictionWatch;
  #evicted: StorageKind[] = [];
  #persistence: StrataStatus['persistence'] = 'not requested';

  constructor(options: StrataOptions = {}) {
    this.#options = resolveOptions(options);
    const { namespace, idbOpenTimeout, sync, timers, cleanupInterval } = this.#options;
    this.#fallback = sync?.fallback && guardFallback(sync.fallback);
    const reporter = (this.#reporter = new Reporter(this.#options.onError));
    const report = (error: StrataError): void => reporter.report(error);
    const create =
      (options as InternalOptions)[ADAPTERS] ??
      ((kind: StorageKind) =>
        createAdapter(kind, namespace, idbOpenTimeout, (event) => {
          if (event === 'terminated') report(connectionClosed());
        }));
    this.#ctx = createStoreContext({
      chain: new LayerChain(create, {
        report,
        fallback: (key, from, to, reason) => reporter.fallback(key, from, to, reason),
      }),
      key: () => this.#keys.load(),
      heldKey: () => this.#keys.held(),
      report,
      timers,
      post: (msg) => this.#post(msg),
      sealedOnly: this.#options.encryptByDefault,
      sealedSync: this.#options.keyed,
      mayHoldSealed: async () =>
        this.#options.keyed ||
        (await this.#keys.held()) !== undefined ||
        hasKeyMeta(await this.#keys.metaLayers()),
    });
    this.#keys = new KeyLoader(this.#ctx, {
      namespace,
      fallback: this.#fallback,
      secret: secretOf(this.#options.encryption),
      isClosed: () => this.#closed,
    });
    this.#eviction = new EvictionWatch(namespace);
    this.#reader = new Reader(this.#ctx);
    this.#remover = new Remover(this.#ctx, this.#reader);
    this.#writer = new Writer(this.#ctx, this.#reader, this.#eviction, this.#options);
    this.#sweeper = new Sweeper(cleanupInterval, timers, () =>
      this.sweep().catch((error: unknown) =>
        report(toStorageError(error, 'Sweeping expired items')),
      ),
    );
  }

  /** The namespace this instance isolates. */
  get namespace(): string {
    return this.#options.namespace;
  }

  /**
   * Where data goes: the first layer of `defaultStorage`, `fallbackStorage`, `'memory'` that
   * is available and whose last use did not fail (a full or broken layer hands over until a
   * write there succeeds again). Before {@link ready}, the configured default.
   */
  get storage(): StorageKind {
    return this.#ctx.chain.current()?.kind ?? this.#options.chain[0] ?? 'memory';
  }

  /** Where data goes and how each available layer is doing (see {@link LayerStatus}). */
  status(): StrataStatus {
    return {
      storage: this.storage,
      layers: this.#ctx.chain.status(),
      evicted: [...this.#evicted],
      persistence: this.#persistence,
    };
  }

  /** The layers found available, in the order reads look through them. */
  get layers(): StorageKind[] {
    return this.#ctx.chain.adapters.map((layer) => layer.kind);
  }

  /** An id unique to this instance; it orders concurrent writes and names our cross-tab messages. */
  get instanceId(): string {
    return this.#ctx.clock.id;
  }

  /**
   * Probes the layers with real operations, derives or loads the key once, and opens the
   * sync channel. Every method calls it; call it yourself to surface `WRONG_PASSWORD`
   * early. Idempotent.
   */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.#ready ??= this.#start().catch(async (error: unknown) => {
      if (isTransientError(error) && !this.#closed) await this.#undoStart();
      throw error;
    });
    return this.#ready;
  }

  /** Reads a value: `null` when missing, expired, or unreadable (tampered, wrong key: reported through `on('error')`). */
  async get<T = unknown>(key: string): Promise<T | null> {
    const entering = this.#enter(() => assertKey(key));
    if (entering) await entering; // started: no await (a get is the hottest path)
    const found = await this.#reader.find(key);
    if (!found) return null;
    const now = this.#ctx.now();
    if (this.#ctx.deadlines.expired(key, found.record, now)) {
      await this.#remover.remove([key], true);
      return null;
    }
    return (await this.#reader.value(key, found, now)) as T | null;
  }

  /**
   * Stores a value. Refuses what cannot round-trip (`UNSERIALIZABLE`) before writing
   * anything. With `sliding` but no `ttl`, the item keeps the TTL it already had.
   */
  set(key: string, value: unknown, options: SetOptions = {}): Promise<void> {
    return this.#tracked(async () => {
      const text = await this.#enter(() => {
        assertKey(key);
        assertSetOptions(options, this.#options.encryptByDefault);
        return serialize(value, key);
      });
      await this.#writer.set(key, text, options, (options as InternalSetOptions)[TAGS_OF]);
    });
  }

  /** True when the key holds an unexpired item that is not tampered with (a sealed one is opened to check). */
  async has(key: string): Promise<boolean> {
    return (await this.#live(key)) !== undefined;
  }

  /** Milliseconds until the item expires; `null` when missing or without expiry. */
  async getTTL(key: string): Promise<number | null> {
    const found = await this.#live(key);
    return found ? this.#ctx.deadlines.left(key, found.record, this.#ctx.now()) : null;
  }

  /** How an item is stored (encrypted, sliding, TTL, layer); `null` when missing, expired or tampered with. */
  async info(key: string): Promise<ItemInfo | null> {
    const found = await this.#live(key);
    if (!found) return null;
    const { record, layer } = found;
    return {
      encrypted: record.x === 1,
      sliding: record.s === 1,
      ttl: record.t ?? null,
      expiresIn: this.#ctx.deadlines.left(key, record, this.#ctx.now()),
      layer: layer.kind,
    };
  }

  /** Sets the expiry to now + `ms` (and the sliding TTL to `ms`); `false` when the key is missing. */
  extendTTL(key: string, ms: number): Promise<boolean> {
    return this.#tracked(async () => {
      const found = await this.#live(key, () => assertSetOptions({ ttl: ms }));
      return found !== undefined && this.#writer.extend(key, found, ms);
    });
  }

  /** Removes a key from every layer. */
  remove(key: string): Promise<void> {
    return this.#tracked(async () => {
      await this.#enter(() => assertKey(key));
      await this.#remover.remove([key], false);
    });
  }

  /**
   * Lists unexpired keys: all, those starting with `pattern`, or matching a glob with `*`
   * (`'session:*'`; `\*` is a literal star). Reads headers and indexes, never values.
   */
  async keys(pattern?: string): Promise<string[]> {
    return this.#reader.list(await this.#enter(() => compilePattern(pattern)));
  }

  /**
   * Removes items. No filter: everything in this namespace (other namespaces untouched).
   * `{ tags }`: items carrying any of the tags; with `prefix` too, only those under it.
   */
  clear(filter: ClearFilter = {}): Promise<void> {
    return this.#tracked(async () => {
      await this.#enter(() => assertClearFilter(filter));
      const tags = filter.tags && filter.tags.length > 0 ? [...new Set(filter.tags)] : undefined;
      // Sealed items are matched by opening them: without the key (a wrong password) nothing is cleared.
      if (tags && (await this.#ctx.mayHoldSealed())) await (await this.#keys.load()).ring();
      await this.#remover.clear(filter.prefix ?? '', tags, filter.prefix !== undefined);
      // Cleared on purpose: an empty store at the next start-up is not eviction.
      if (tags === undefined && !filter.prefix)
        await this.#eviction.forget(this.#ctx.chain.adapters);
    });
  }

  /** Calls `listener` on every change to a key matching `pattern` (as in {@link keys}), local or from another tab. */
  subscribe<T = unknown>(pattern: string, listener: ChangeListener<T>): () => void {
    this.#assertOpen();
    compilePattern(pattern);
    if (typeof listener !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'subscribe needs a listener function.');
    return this.#ctx.subscribers.add(pattern, listener as ChangeListener);
  }

  /** Listens to `'error'` (reported failures) or `'fallback'` (a write moved to a later layer). */
  on<E extends keyof StrataEvents>(
    event: E,
    handler: (payload: StrataEvents[E]) => void,
  ): () => void {
    return this.#reporter.on(event, handler);
  }

  /** Deletes expired items now (the sweeper does it every `ttl.cleanupInterval`). Resolves to how many. */
  async sweep(): Promise<number> {
    await this.#enter();
    return this.#remover.sweep();
  }

  /**
   * Re-keys the namespace under a new password or `CryptoKey`: every encrypted item is
   * re-encrypted and the old key forgotten, resumably (a page closed half-way is finished
   * by the next instance opened with either secret). Other tabs are told, never the key:
   * until they call `rotateKey` with the same secret they read newer items as null and
   * refuse encrypted writes with `KEY_ROTATED`. See SECURITY.md.
   *
   * @throws `INVALID_OPTIONS` for an empty password or a key that is not AES-GCM;
   *   `KEY_ROTATED` when another rotation is pending that this instance cannot finish.
   */
  async rotateKey(newPasswordOrKey: string | CryptoKey): Promise<void> {
    const target = await this.#enter(() =>
      rotationTarget(newPasswordOrKey, this.#options.encryption),
    );
    await (await this.#keys.load()).rotate(target);
    this.#ctx.cache.invalidateAll();
  }

  /**
   * Crypto-shredding: destroys the namespace key (device key, salt, verifier, wrapped keys)
   * in every layer, then removes every item as `clear()` does; other tabs drop the key they
   * hold. A later encrypted write sets up a new key. With a caller-supplied
   * `encryption.key`, the application must discard that key too. See SECURITY.md.
   */
  async destroyKey(): Promise<void> {
    await this.#enter();
    await (await this.#keys.load()).destroy();
    await this.clear();
  }

  /**
   * Stops the sweeper, lets the writes already called (`set`, `remove`, `clear`, `extendTTL`)
   * finish and reach the other tabs, then closes the channel and connections. Later calls fail
   * with `CLOSED`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweeper.stop();
    this.#ctx.subscribers.clear();
    await this.#ready?.catch(() => undefined);
    await Promise.allSettled(this.#writes); // writes called before close() finish, and
    await this.#channel?.drain(); // reach the other tabs
    await this.#keys.close();
    await Promise.all([this.#channel?.close(), this.#ctx.chain.close()]);
  }

  /** Runs a write (its checks at once, as every call's), tracked until it settles. */
  #tracked<T>(write: () => Promise<T>): Promise<T> {
    const running = write();
    this.#writes.add(running);
    const untrack = () => this.#writes.delete(running);
    running.then(untrack, untrack);
    return running;
  }

  /** The one entry guard: refuses a closed instance, runs the call's checks, then waits for start-up. */
  #enter<T = void>(check?: () => T): T | Promise<T> {
    this.#assertOpen();
    const checked = check?.() as T;
    // Started: no promise to build (every call passes here).
    return this.#started ? checked : this.ready().then(() => checked);
  }

  /** The record of an unexpired key that opens (a tampered one is not there), after the entry checks. */
  async #live(key: string, check?: () => void): Promise<Found | undefined> {
    await this.#enter(() => {
      assertKey(key);
      check?.();
    });
    return this.#reader.verified(key);
  }

  async #start(): Promise<void> {
    const { chain, sync, namespace, persist } = this.#options;
    await this.#ctx.chain.open(chain);
    if (persist) askToPersist((answer) => (this.#persistence = answer));
    this.#evicted = await this.#eviction.lost(this.#ctx.chain.adapters);
    if (this.#evicted.length > 0) this.#reporter.evicted([...this.#evicted]);
    if (this.#options.keyed || this.layers.includes('secure'))
      await (await this.#keys.load()).ring();
    if (sync) {
      const { connectReplica } = await import('./sync/replica.js');
      const options = { name: sync.channel, namespace, fallback: this.#fallback };
      this.#channel = await connectReplica(this.#ctx, this.#reader, options, () => this.#closed);
    }
    this.#sweeper.start();
    this.#started = true;
  }

  /** A start-up that failed for a reason that may pass: forget it all, so the next call starts afresh. */
  async #undoStart(): Promise<void> {
    await this.#keys.reset();
    await this.#ctx.chain.reset();
    // Only now: a close() meanwhile awaits the failed start-up, and so these layers' close.
    this.#ready = undefined;
  }

  #post(msg: SyncMessage): void {
    this.#channel
      ?.post(msg)
      .catch((error: unknown) =>
        this.#reporter.report(toStorageError(error, 'Broadcasting a change')),
      );
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function connectionClosed(): StrataError {
  return new StrataError(
    'STORAGE_UNAVAILABLE',
    'The browser closed the IndexedDB connection; it reopens on next use.',
  );
}

function closedError(): StrataError {
  return new StrataError('CLOSED', 'This Strata instance is closed; create a new one.');
}
