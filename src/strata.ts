import type { StorageAdapter } from './adapters/adapter.js';
import { createAdapter } from './adapters/create.js';
import { deserialize, serialize } from './codec/serialize.js';
import { hasKeyMeta, metaLayersOf } from './crypto/meta-copies.js';
import type { NamespaceKey } from './crypto/namespace-key.js';
import { rotationTarget, secretOf } from './crypto/secret.js';
import { isTransientError, StrataError, toStorageError } from './errors.js';
import { Emitter } from './events.js';
import { assertKey, compilePattern } from './keys.js';
import { LayerChain, type AdapterFactory, type LayerRef } from './layer-chain.js';
import {
  assertClearFilter,
  assertSetOptions,
  resolveOptions,
  type ResolvedOptions,
} from './options.js';
import { NO_CACHE, ReadCache, type RecordCache } from './read-cache.js';
import { isFutureRecord, RECORD_VERSION, type StoredRecord } from './record.js';
import { RemovalLog } from './removal-log.js';
import { Subscribers } from './subscribers.js';
import { Sweeper } from './sweeper.js';
import type { SyncChannel } from './sync/channel.js';
import type { SyncMessage } from './sync/messages.js';
import { guardFallback, type ChannelTransportFactory } from './sync/transport.js';
import { isExpired, shouldSlide, timeLeft } from './ttl.js';
import type {
  ChangeListener,
  ClearFilter,
  ItemInfo,
  SetOptions,
  StorageKind,
  StrataOptions,
} from './types.js';
import { compareWrites, WriteClock, type WriteStamp } from './write-clock.js';

/** Events of {@link Strata.on}. */
export interface StrataEvents {
  /** Something failed that did not throw: a tampered record, a broken layer, a bad message. */
  error: StrataError;
  /** A write did not fit its layer and went to a later one. */
  fallback: { key: string; from: StorageKind; to: StorageKind; reason: StrataError };
}

const EVENTS: ReadonlyArray<keyof StrataEvents> = ['error', 'fallback'];

/** A record found for a key, where, and its decoded text when the cache had it. */
interface Found {
  record: StoredRecord;
  layer: LayerRef;
  text?: string;
  /** Cache ticket taken before the read: a fill with it is dropped if the key changed since. */
  ticket: number;
}

/**
 * Internal `set` option (not exported from the package): the keys whose stored tags the new
 * item also carries. Lets a migration keep tags it cannot read back, hashed ones included
 * (a namespace's tag hashes do not depend on the key).
 */
export const TAGS_OF: unique symbol = Symbol('tagsOf');

/** Internal constructor option for tests: builds the adapters instead of the browser's. */
export const ADAPTERS: unique symbol = Symbol('adapters');

type InternalSetOptions = SetOptions & { [TAGS_OF]?: readonly string[] };
type InternalOptions = StrataOptions & { [ADAPTERS]?: AdapterFactory };

const CACHE_LIMIT = 5_000;

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
  readonly #clock = new WriteClock();
  readonly #subscribers: Subscribers;
  readonly #events = new Emitter<StrataEvents>();
  readonly #removals = new RemovalLog();
  readonly #chain: LayerChain;
  readonly #sweeper: Sweeper;
  /** `sync.fallback`, given a time limit and given up on after its first failure. */
  readonly #fallback: ChannelTransportFactory | undefined;
  #cache: RecordCache = NO_CACHE;
  #ready: Promise<void> | undefined;
  /** True once {@link ready} has succeeded: calls then skip awaiting it. */
  #started = false;
  #closed = false;
  #key: Promise<NamespaceKey> | undefined;
  #metaLayers: Promise<StorageAdapter[]> | undefined;
  #channel: SyncChannel | undefined;
  /** Removals and remote changes, one at a time (see {@link #serially}). */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: StrataOptions = {}) {
    this.#options = resolveOptions(options);
    const { namespace, idbOpenTimeout, sync, timers, cleanupInterval } = this.#options;
    this.#fallback = sync?.fallback && guardFallback(sync.fallback);
    this.#subscribers = new Subscribers((error) =>
      this.#report(
        new StrataError('INVALID_OPTIONS', 'A subscriber threw; the others were still called.', {
          cause: error,
        }),
      ),
    );
    const create =
      (options as InternalOptions)[ADAPTERS] ??
      ((kind: StorageKind) => createAdapter(kind, namespace, idbOpenTimeout));
    this.#chain = new LayerChain(create, {
      report: (error) => this.#report(error),
      fallback: (key, from, to, reason) => this.#emitFallback(key, from, to, reason),
    });
    this.#sweeper = new Sweeper(cleanupInterval, timers, () =>
      this.sweep().catch((error: unknown) =>
        this.#report(toStorageError(error, 'Sweeping expired items')),
      ),
    );
  }

  /** The namespace this instance isolates. */
  get namespace(): string {
    return this.#options.namespace;
  }

  /** The layer in use: the first available of `defaultStorage`, `fallbackStorage`, `'memory'`. Before {@link ready}, the configured default. */
  get storage(): StorageKind {
    return this.#chain.adapters[0]?.kind ?? this.#options.chain[0] ?? 'memory';
  }

  /** The layers found available, in the order reads look through them. */
  get layers(): StorageKind[] {
    return this.#chain.adapters.map((layer) => layer.kind);
  }

  /** An id unique to this instance; it orders concurrent writes and names our cross-tab messages. */
  get instanceId(): string {
    return this.#clock.id;
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
    await this.#enter(() => assertKey(key));
    const found = await this.#find(key);
    if (!found) return null;
    const now = this.#now();
    if (isExpired(found.record, now)) {
      await this.#removeKeys([key], true);
      return null;
    }
    const text =
      found.text ??
      (found.record.x === 1 ? await this.#plaintext(key, found.record) : found.record.p);
    if (text === undefined) return null;
    let value: T;
    try {
      value = deserialize(text) as T;
    } catch (cause) {
      this.#report(
        new StrataError(
          'CORRUPT_RECORD',
          'A stored value is not valid JSON; it reads as null and is left in place.',
          { cause, key },
        ),
      );
      return null;
    }
    if (shouldSlide(found.record, now)) await this.#slide(key, found, now, text);
    else if (found.text === undefined)
      this.#cache.fill(key, found.ticket, { record: found.record, layer: found.layer, text });
    return value;
  }

  /**
   * Stores a value. Refuses what cannot round-trip (`UNSERIALIZABLE`) before writing
   * anything. With `sliding` but no `ttl`, the item keeps the TTL it already had.
   */
  async set(key: string, value: unknown, options: SetOptions = {}): Promise<void> {
    const text = await this.#enter(() => {
      assertKey(key);
      assertSetOptions(options);
      return serialize(value, key);
    });
    const now = this.#now();
    let ttl = options.ttl ?? this.#options.ttlDefault;
    if (options.ttl === undefined && options.sliding === true) {
      const current = await this.#find(key);
      if (current?.record.t !== undefined && !isExpired(current.record, now))
        ttl = current.record.t;
    }
    // An item bound for 'secure' is sealed before it leaves: its broadcast and any fallback copy too.
    const encrypt =
      (options.encrypt ?? this.#options.encryptByDefault) || this.storage === 'secure';
    const record: StoredRecord = { v: RECORD_VERSION, p: text, ...this.#clock.stamp(now) };
    if (ttl !== undefined) {
      record.e = now + ttl;
      record.t = ttl;
      if (options.sliding ?? this.#options.slidingDefault) record.s = 1;
    }
    const tags = await this.#tagsFor(options as InternalSetOptions, encrypt);
    if (tags.length > 0) record.g = tags;
    if (encrypt) await (await this.#namespaceKey()).seal(key, record);
    const oldValue = this.#subscribers.watches(key) ? await this.#valueOf(key) : null;
    const layer = await this.#write(key, record);
    this.#cache.set(key, { record, layer, text });
    this.#post({ kind: 'set', key, layer: layer.kind, record });
    if (this.#subscribers.watches(key))
      this.#subscribers.emit({ key, oldValue, newValue: deserialize(text), source: 'local' });
  }

  /** True when the key holds an unexpired item (its value is not decrypted). */
  async has(key: string): Promise<boolean> {
    return (await this.#live(key)) !== undefined;
  }

  /** Milliseconds until the item expires; `null` when missing or without expiry. */
  async getTTL(key: string): Promise<number | null> {
    const found = await this.#live(key);
    return found ? timeLeft(found.record, this.#now()) : null;
  }

  /** How an item is stored (encrypted, sliding, TTL, layer), without reading or decrypting its value; `null` when missing or expired. */
  async info(key: string): Promise<ItemInfo | null> {
    const found = await this.#live(key);
    if (!found) return null;
    const { record, layer } = found;
    return {
      encrypted: record.x === 1,
      sliding: record.s === 1,
      ttl: record.t ?? null,
      expiresIn: timeLeft(record, this.#now()),
      layer: layer.kind,
    };
  }

  /** Sets the expiry to now + `ms` (and the sliding TTL to `ms`); `false` when the key is missing. */
  async extendTTL(key: string, ms: number): Promise<boolean> {
    await this.#enter(() => {
      assertKey(key);
      assertSetOptions({ ttl: ms });
    });
    const found = await this.#find(key);
    const now = this.#now();
    if (!found || isExpired(found.record, now) || isFutureRecord(found.record)) return false;
    const record: StoredRecord = { ...found.record, e: now + ms, t: ms, ...this.#clock.stamp(now) };
    const layer = await this.#write(key, record);
    if (found.text !== undefined) this.#cache.set(key, { record, layer, text: found.text });
    else this.#cache.invalidate(key);
    this.#post({ kind: 'set', key, layer: layer.kind, record });
    return true;
  }

  /** Removes a key from every layer. */
  async remove(key: string): Promise<void> {
    await this.#enter(() => assertKey(key));
    await this.#removeKeys([key], false);
  }

  /**
   * Lists unexpired keys: all, those starting with `pattern`, or matching a glob with `*`
   * (`'session:*'`; `\*` is a literal star). Reads headers and indexes, never values.
   */
  async keys(pattern?: string): Promise<string[]> {
    const compiled = await this.#enter(() => compilePattern(pattern));
    const now = this.#now();
    const found = new Set<string>();
    await this.#chain.each(async (layer) => {
      for (const key of await layer.keys(compiled.prefix, now)) {
        if (!compiled.matches(key)) continue;
        // A key removed here lately may still be listed by a lagging localStorage: check its write.
        if (this.#removals.recentlyRemoved(key, now)) {
          const record = await layer.read(key).catch(() => null); // unreadable: listed, as before
          if (record === undefined || (record && this.#removals.removedSince(key, record)))
            continue;
        }
        found.add(key);
      }
    });
    return [...found].sort();
  }

  /**
   * Removes items. No filter: everything in this namespace (other namespaces untouched).
   * `{ tags }`: items carrying any of the tags; with `prefix` too, only those under it.
   */
  async clear(filter: ClearFilter = {}): Promise<void> {
    await this.#enter(() => assertClearFilter(filter));
    const tags =
      filter.tags && filter.tags.length > 0 ? await this.#tagsToMatch(filter.tags) : undefined;
    const prefix = filter.prefix ?? '';
    const everything = tags === undefined && prefix === '';
    const { stamp, removed } = await this.#serially(async () => {
      const keys = new Set<string>();
      await this.#chain.each(async (layer) => {
        const found = everything
          ? await layer.allKeys()
          : tags
            ? await layer.keysTagged(tags, prefix)
            : await layer.keys(prefix, Number.NEGATIVE_INFINITY);
        for (const key of found) keys.add(key);
      });
      const now = this.#now();
      const stamp = this.#clock.stamp(now);
      this.#removals.clear(prefix, tags, stamp, now);
      const range = tags === undefined ? prefix : undefined;
      return { stamp, removed: await this.#deleteEverywhere([...keys], stamp, false, range) };
    });
    const msg: SyncMessage = { kind: 'clear', keys: removed, ...stamp };
    if (filter.prefix !== undefined) msg.prefix = filter.prefix;
    if (tags) msg.tags = tags;
    this.#post(msg);
  }

  /** Calls `listener` on every change to a key matching `pattern` (as in {@link keys}), local or from another tab. */
  subscribe<T = unknown>(pattern: string, listener: ChangeListener<T>): () => void {
    this.#assertOpen();
    compilePattern(pattern);
    if (typeof listener !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'subscribe needs a listener function.');
    return this.#subscribers.add(pattern, listener as ChangeListener);
  }

  /** Listens to `'error'` (reported failures) or `'fallback'` (a write moved to a later layer). */
  on<E extends keyof StrataEvents>(
    event: E,
    handler: (payload: StrataEvents[E]) => void,
  ): () => void {
    if (!EVENTS.includes(event))
      throw new StrataError('INVALID_OPTIONS', `Unknown event "${String(event)}".`);
    return this.#events.on(event, handler);
  }

  /** Deletes expired items now (the sweeper does it every `ttl.cleanupInterval`). Resolves to how many. */
  async sweep(): Promise<number> {
    await this.#enter();
    const now = this.#now();
    const keys = new Set<string>();
    await this.#chain.each(async (layer) => {
      for (const key of await layer.expiredKeys(now)) keys.add(key);
    });
    if (keys.size > 0) await this.#removeKeys([...keys], true);
    return keys.size;
  }

  /**
   * Re-keys the namespace: every encrypted item in every layer is re-encrypted under the
   * new password (PBKDF2 with a fresh salt) or `CryptoKey`, and the old key is forgotten
   * (a device key is deleted from the keyring). Nothing is lost and the call is resumable:
   * the pending key is recorded first, so if the page closes half-way, the next instance
   * opened with either the old or the new password finishes the rotation in `ready()`
   * (with a `CryptoKey` on either side, only when that key is extractable; otherwise
   * reopen with the key that cannot be exported). Other tabs are told over a
   * BroadcastChannel: they cannot learn a password, so until they call `rotateKey` with
   * the same new password or key (which adopts it without re-encrypting shared layers)
   * they read newer items as null and refuse encrypted writes with `KEY_ROTATED`.
   * A new instance must then be opened with the new password or key (the old one gets
   * `WRONG_PASSWORD` / `WRONG_KEY`).
   *
   * @throws `INVALID_OPTIONS` for an empty password or a key that is not AES-GCM;
   *   `KEY_ROTATED` when another rotation is pending that this instance cannot finish.
   */
  async rotateKey(newPasswordOrKey: string | CryptoKey): Promise<void> {
    const target = await this.#enter(() =>
      rotationTarget(newPasswordOrKey, this.#options.encryption),
    );
    await (await this.#namespaceKey()).rotate(target);
    this.#cache.invalidateAll();
  }

  /**
   * Crypto-shredding: destroys the namespace key (the device key is deleted from the
   * IndexedDB keyring; the salt, verifier and any wrapped key are removed from every
   * layer), then removes every item as `clear()` does. Any ciphertext left behind (a
   * copy of the profile, a layer that refused the delete, a backup) can never be
   * decrypted again, even with the password. A later encrypted write sets up a new key.
   * Other tabs drop the key they hold. Call it on logout of a shared device.
   * With a caller-supplied `encryption.key`, the application must discard that key too.
   */
  async destroyKey(): Promise<void> {
    await this.#enter();
    await (await this.#namespaceKey()).destroy();
    await this.clear();
  }

  /** Stops the sweeper, closes the channel and connections. Later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweeper.stop();
    this.#subscribers.clear();
    await this.#ready?.catch(() => undefined);
    await (await this.#key?.catch(() => undefined))?.close();
    await Promise.all([this.#channel?.close(), this.#chain.close()]);
  }

  // ── start-up ────────────────────────────────────────────────────────────────────────

  /** The one entry guard: refuses a closed instance, runs the call's checks, then waits for start-up. */
  async #enter<T = void>(check?: () => T): Promise<T> {
    this.#assertOpen();
    const checked = check?.() as T;
    if (!this.#started) await this.ready();
    return checked;
  }

  async #start(): Promise<void> {
    const { chain, encryption, encryptByDefault, sync } = this.#options;
    await this.#chain.open(chain);
    const needsKey =
      encryptByDefault ||
      this.layers.includes('secure') ||
      encryption?.password !== undefined ||
      encryption?.key !== undefined;
    if (needsKey) await (await this.#namespaceKey()).ring();
    if (sync) await this.#openSync(sync.channel);
    this.#sweeper.start();
    this.#started = true;
  }

  /** A start-up that failed for a reason that may pass: forget it all, so the next call starts afresh. */
  async #undoStart(): Promise<void> {
    this.#metaLayers = undefined;
    (await this.#key?.catch(() => undefined))?.reset();
    await this.#chain.reset();
    // Only now: a close() meanwhile awaits the failed start-up, and so these layers' close.
    this.#ready = undefined;
  }

  async #openSync(name: string): Promise<void> {
    const [{ SyncChannel }, { Replica }] = await Promise.all([
      import('./sync/channel.js'),
      import('./sync/replica.js'),
    ]);
    const cache = new ReadCache(CACHE_LIMIT);
    const replica = new Replica({
      chain: this.#chain,
      cache,
      removals: this.#removals,
      clock: this.#clock,
      subscribers: this.#subscribers,
      now: () => this.#now(),
      plaintext: (key, record) => this.#plaintext(key, record),
      decode: (key, record) => this.#decode(key, record),
    });
    try {
      this.#channel = await SyncChannel.open(
        name,
        this.#options.namespace,
        this.#clock.id,
        {
          // One at a time, in arrival order: two changes to a key must not interleave.
          onMessage: (msg) =>
            void this.#serially(() =>
              this.#closed ? Promise.resolve() : replica.apply(msg),
            ).catch((error: unknown) =>
              this.#report(toStorageError(error, 'Applying a cross-tab change')),
            ),
          onInvalid: (error) => this.#report(error),
        },
        this.#fallback,
      );
    } catch (error) {
      this.#report(
        toStorageError(error, 'Opening the sync.fallback channel (cross-tab sync is off)'),
      );
      return;
    }
    // The read cache is only correct while every other tab's change reaches this one.
    if (this.#channel) this.#cache = cache;
    else
      this.#report(
        new StrataError(
          'STORAGE_UNAVAILABLE',
          'This browser has no BroadcastChannel and no sync.fallback was given: cross-tab sync is off.',
        ),
      );
  }

  /** The namespace key, its code loaded on first use (an app that never encrypts never downloads it). */
  #namespaceKey(): Promise<NamespaceKey> {
    const pending = (this.#key ??= import('./crypto/namespace-key.js').then(
      ({ NamespaceKey }) =>
        new NamespaceKey(
          {
            namespace: this.#options.namespace,
            id: this.#clock.id,
            fallback: this.#fallback,
            dataLayers: () => this.#chain.adapters,
            metaLayers: () => this.#keyMetaLayers(),
            report: (error) => this.#report(error),
            invalidateCache: () => this.#cache.invalidateAll(),
            isClosed: () => this.#closed,
          },
          secretOf(this.#options.encryption),
        ),
    ));
    pending.catch(() => {
      if (this.#key === pending) this.#key = undefined; // a chunk that failed to load is retried
    });
    return pending;
  }

  #keyMetaLayers(): Promise<StorageAdapter[]> {
    return (this.#metaLayers ??= metaLayersOf(this.#chain));
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────

  /** Finds the record of `key` in the first layer holding it (through the cache when on). */
  async #find(key: string): Promise<Found | undefined> {
    const ticket = this.#cache.ticket(key);
    const cached = await this.#cache.lookup(key, this.#chain.readAt);
    if (cached) return { record: cached.record, layer: cached.layer, text: cached.text, ticket };
    const found = await this.#chain.find(key, (record) => this.#removals.removedSince(key, record));
    return found && { ...found, ticket };
  }

  /** The record of an unexpired key, after the entry checks. */
  async #live(key: string): Promise<Found | undefined> {
    await this.#enter(() => assertKey(key));
    const found = await this.#find(key);
    return found && !isExpired(found.record, this.#now()) ? found : undefined;
  }

  /** The JSON text of a record: decrypted when sealed. `undefined` (and a report) when unreadable. */
  async #plaintext(key: string, record: StoredRecord): Promise<string | undefined> {
    if (record.x !== 1) return record.p;
    try {
      return await (await this.#namespaceKey()).decrypt(key, record.p);
    } catch (error) {
      this.#report(
        error instanceof StrataError
          ? new StrataError(error.code, error.message, { cause: error.cause, key })
          : toStorageError(error, 'Decrypting', key),
      );
      return undefined;
    }
  }

  /** The current value of `key` for change events; `null` when missing or unreadable. */
  async #valueOf(key: string): Promise<unknown> {
    const found = await this.#find(key);
    if (!found || isExpired(found.record, this.#now())) return null;
    return this.#decode(key, found.record, found.text);
  }

  async #decode(key: string, record: StoredRecord, text?: string): Promise<unknown> {
    const plain = text ?? (await this.#plaintext(key, record));
    if (plain === undefined) return null;
    try {
      return deserialize(plain);
    } catch {
      return null;
    }
  }

  /**
   * Pushes a sliding item's expiry to now + ttl in the layer holding it (not broadcast:
   * other tabs slide on their own reads). Only over the very write that was read, between
   * remote changes: a slide never brings back what another tab removed or replaced meanwhile.
   */
  async #slide(key: string, found: Found, now: number, text: string): Promise<void> {
    const record: StoredRecord = { ...found.record, e: now + (found.record.t ?? 0) };
    const layer = this.#chain.at(found.layer);
    await this.#serially(async () => {
      const stored = await layer.read(key);
      if (
        !stored ||
        compareWrites(stored, found.record) !== 0 ||
        this.#removals.removedSince(key, stored)
      )
        return;
      await layer.write(key, record);
      this.#cache.fill(key, found.ticket, { record, layer: found.layer, text });
    }).catch((error: unknown) =>
      this.#report(toStorageError(error, `Sliding the expiry in ${layer.kind}`, key)),
    );
  }

  // ── writing ─────────────────────────────────────────────────────────────────────────

  /** Writes through the chain; the `'secure'` layer gets a sealed copy of a clear record. */
  #write(key: string, record: StoredRecord): Promise<LayerRef> {
    return this.#chain.write(key, record, async (layer, stored) =>
      layer.kind === 'secure' && stored.x !== 1
        ? (await this.#namespaceKey()).sealedCopy(key, stored)
        : stored,
    );
  }

  /**
   * The tags a new record stores: `options.tags`, plus the stored tags of the keys in
   * `options[TAGS_OF]`; hashed when the record is encrypted. Hashed tags cannot go into a
   * clear record, so an encrypted item's tags are not carried to an unencrypted one.
   */
  async #tagsFor(options: InternalSetOptions, encrypt: boolean): Promise<string[]> {
    const own = [...new Set(options.tags ?? [])];
    const hash = async (tags: readonly string[]) => (await this.#namespaceKey()).hashTags(tags);
    const tags = new Set(encrypt && own.length > 0 ? await hash(own) : own);
    for (const from of options[TAGS_OF] ?? []) {
      const record = (await this.#find(from))?.record;
      if (!record?.g || (record.x === 1 && !encrypt)) continue;
      for (const tag of record.x === 1 || !encrypt ? record.g : await hash(record.g)) tags.add(tag);
    }
    return [...tags];
  }

  /** Tags as stored: the plain tag for clear items, plus its keyed hash when this namespace has a key. */
  async #tagsToMatch(tags: readonly string[]): Promise<string[]> {
    const holdsKey = (await this.#key?.catch(() => undefined))?.held === true;
    if (!holdsKey && !(await hasKeyMeta(await this.#keyMetaLayers()))) return [...tags];
    return [...tags, ...(await (await this.#namespaceKey()).hashTags(tags))];
  }

  /** Removes keys from every layer, notifies and broadcasts; `expired` sweeps keep only what is still expired. */
  async #removeKeys(keys: string[], expired: boolean): Promise<void> {
    const { stamp, removed } = await this.#serially(async () => {
      const stamp = this.#clock.stamp(this.#now());
      return { stamp, removed: await this.#deleteEverywhere(keys, stamp, expired) };
    });
    if (removed.length > 0 || !expired)
      this.#post({ kind: 'remove', keys: expired ? removed : keys, ...stamp, expired });
  }

  /**
   * Runs a removal or a remote change in one queue, never between two steps of another:
   * a removal's stamp is then newer than every change applied before it, and every change
   * applied after it is judged against its tombstones, so every tab converges.
   */
  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Deletes keys from every layer (expired-only when `onlyExpired`), records tombstones,
   * updates the cache and tells local subscribers. Returns the keys actually removed.
   */
  async #deleteEverywhere(
    keys: string[],
    stamp: WriteStamp,
    onlyExpired: boolean,
    range?: string,
  ): Promise<string[]> {
    const watched = keys.filter((key) => this.#subscribers.watches(key));
    const oldValues = new Map<string, unknown>();
    for (const key of watched) oldValues.set(key, await this.#valueOf(key).catch(() => null));
    const now = this.#now();
    const { removed, ranged } = await this.#chain.delete(keys, { onlyExpired, range, now });
    // A range delete may take keys written since the listing: the whole cache goes.
    if (ranged) this.#cache.invalidateAll();
    for (const key of keys) {
      this.#cache.invalidate(key);
      if (!onlyExpired || removed.has(key)) this.#removals.remove(key, stamp);
    }
    this.#removals.prune(now);
    for (const key of watched) {
      if (onlyExpired && !removed.has(key)) continue;
      this.#subscribers.emit({
        key,
        oldValue: oldValues.get(key) ?? null,
        newValue: null,
        source: 'local',
      });
    }
    return onlyExpired ? [...removed] : keys;
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────

  #post(msg: SyncMessage): void {
    this.#channel
      ?.post(msg)
      .catch((error: unknown) => this.#report(toStorageError(error, 'Broadcasting a change')));
  }

  #emitFallback(key: string, from: StorageKind, to: StorageKind, reason: StrataError): void {
    this.#events.emit('fallback', { key, from, to, reason });
    const lost = to === 'memory' ? ' (it will not survive a reload)' : '';
    this.#report(
      new StrataError(
        reason.code,
        `${reason.message} The item "${key}" was written to ${to} instead${lost}.`,
        { cause: reason, key },
      ),
    );
  }

  #report(error: StrataError): void {
    const heard = this.#events.emit('error', error);
    const { onError } = this.#options;
    if (onError) {
      try {
        onError(error);
      } catch {
        // an error handler that throws must not break storage
      }
    } else if (heard === 0) console.warn(`[strata-storage] ${error.code}: ${error.message}`);
  }

  #now(): number {
    return this.#options.timers.now();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): StrataError {
  return new StrataError('CLOSED', 'This Strata instance is closed; create a new one.');
}
