import type { StorageAdapter } from './adapters/adapter.js';
import { hasAnyTag } from './adapters/memory.js';
import { createAdapter } from './adapters/create.js';
import { deserialize, serialize } from './codec/serialize.js';
import { randomHex } from './codec/base64.js';
import type { KeyChannel, KeyEvent } from './crypto/key-channel.js';
import { adoptTabMeta, dropTabMeta, META_NAME } from './crypto/meta-copies.js';
import type { KeyRing } from './crypto/keyring.js';
import type { RotationScope } from './crypto/rotate.js';
import { rotationTarget, secretOf, type KeySecret } from './crypto/secret.js';
import { isQuotaError, isTransientError, StrataError, toStorageError } from './errors.js';
import { assertKey, compilePattern } from './keys.js';
import {
  assertClearFilter,
  assertSetOptions,
  resolveOptions,
  type ResolvedOptions,
} from './options.js';
import { ReadCache, type CachedRead } from './read-cache.js';
import { compareWrites, isFutureRecord, RECORD_VERSION, type StoredRecord } from './record.js';
import { Subscribers } from './subscribers.js';
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

/** Events of {@link Strata.on}. */
export interface StrataEvents {
  /** Something failed that did not throw: a tampered record, a broken layer, a bad message. */
  error: StrataError;
  /** A write did not fit its layer and went to a later one. */
  fallback: { key: string; from: StorageKind; to: StorageKind; reason: StrataError };
}

interface Found {
  record: StoredRecord;
  layer: number;
  /** Decoded JSON text, when the cache already had it. */
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

/** `set` options with the internal ones. */
type InternalSetOptions = SetOptions & { [TAGS_OF]?: readonly string[] };

/** Remembered removals, so a late cross-tab write older than a removal is not resurrected. */
const TOMBSTONE_MS = 120_000;
const CACHE_LIMIT = 5_000;
/** How long another tab's write may take to show in this tab's localStorage. */
const LAG_WINDOW_MS = 1_000;
/** Distinct clear filters remembered at once (each kept for the tombstone window). */
const MAX_REMEMBERED_CLEARS = 1_000;

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
  readonly #id = randomHex(8);
  readonly #subscribers: Subscribers;
  readonly #listeners = {
    error: new Set<(e: StrataError) => void>(),
    fallback: new Set<(e: StrataEvents['fallback']) => void>(),
  };
  readonly #tombstones = new Map<string, { u: number; w: string }>();
  /** Remembered `clear`s: a late cross-tab write under a cleared prefix/tag, older than the clear, is not resurrected. */
  #clears: Array<{ prefix: string; tags: string[] | undefined; u: number; w: string }> = [];
  #layers: StorageAdapter[] = [];
  #occupied: boolean[] = [];
  #ready: Promise<void> | undefined;
  /** True once {@link ready} has succeeded: calls then skip awaiting it. */
  #started = false;
  #closed = false;
  #cipher: Promise<KeyRing> | undefined;
  #secret: KeySecret;
  #keyLayers: Promise<StorageAdapter[]> | undefined;
  #keyChannel: KeyChannel | undefined;
  #channel: SyncChannel | undefined;
  #cache: ReadCache | undefined;
  /** `sync.fallback`, given a time limit and given up on after its first failure. */
  readonly #fallback: ChannelTransportFactory | undefined;
  #sweeper: ReturnType<typeof setTimeout> | undefined;
  #lastStamp = 0;
  #applying: Promise<void> = Promise.resolve();

  constructor(options: StrataOptions = {}) {
    this.#options = resolveOptions(options);
    this.#secret = secretOf(this.#options.encryption);
    const fallback = this.#options.sync?.fallback;
    this.#fallback = fallback && guardFallback(fallback);
    this.#subscribers = new Subscribers((error) =>
      this.#report(
        new StrataError('INVALID_OPTIONS', 'A subscriber threw; the others were still called.', {
          cause: error,
        }),
      ),
    );
  }

  /** The namespace this instance isolates. */
  get namespace(): string {
    return this.#options.namespace;
  }

  /** The layer in use: the first available of `defaultStorage`, `fallbackStorage`, `'memory'`. Before {@link ready}, the configured default. */
  get storage(): StorageKind {
    return this.#layers[0]?.kind ?? this.#options.chain[0] ?? 'memory';
  }

  /** The layers found available, in the order reads look through them. */
  get layers(): StorageKind[] {
    return this.#layers.map((layer) => layer.kind);
  }

  /** An id unique to this instance; it orders concurrent writes and names our cross-tab messages. */
  get instanceId(): string {
    return this.#id;
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
    this.#assertOpen();
    assertKey(key);
    if (!this.#started) await this.ready();
    const found = await this.#find(key);
    if (!found) return null;
    const now = this.#now();
    if (isExpired(found.record, now)) {
      await this.#expire([key]);
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
      this.#cache?.fill(key, found.ticket, { record: found.record, layer: found.layer, text });
    return value;
  }

  /**
   * Stores a value. Refuses what cannot round-trip (`UNSERIALIZABLE`) before writing
   * anything. With `sliding` but no `ttl`, the item keeps the TTL it already had.
   */
  async set(key: string, value: unknown, options: SetOptions = {}): Promise<void> {
    this.#assertOpen();
    assertKey(key);
    assertSetOptions(options);
    const text = serialize(value, key);
    if (!this.#started) await this.ready();
    const now = this.#now();
    let ttl = options.ttl ?? this.#options.ttlDefault;
    if (options.ttl === undefined && options.sliding === true) {
      const current = await this.#find(key);
      if (current?.record.t !== undefined && !isExpired(current.record, now))
        ttl = current.record.t;
    }
    // An item bound for 'secure' is sealed before it leaves: its broadcast and any fallback copy too.
    const encrypt =
      (options.encrypt ?? this.#options.encryptByDefault) || this.#layers[0]?.kind === 'secure';
    const record: StoredRecord = { v: RECORD_VERSION, p: text, u: this.#stamp(now), w: this.#id };
    if (ttl !== undefined) {
      record.e = now + ttl;
      record.t = ttl;
      if (options.sliding ?? this.#options.slidingDefault) record.s = 1;
    }
    const tags = await this.#tagsFor(options as InternalSetOptions, encrypt);
    if (tags.length > 0) record.g = tags;
    if (encrypt) await this.#seal(key, record);
    const oldValue = this.#subscribers.watches(key) ? await this.#valueOf(key) : null;
    const layer = await this.#write(key, record);
    this.#cache?.set(key, { record, layer, text });
    this.#post({ kind: 'set', key, layer: this.#layers[layer]?.kind ?? 'memory', record });
    if (this.#subscribers.watches(key))
      this.#subscribers.emit({ key, oldValue, newValue: deserialize(text), source: 'local' });
  }

  /** True when the key holds an unexpired item (its value is not decrypted). */
  async has(key: string): Promise<boolean> {
    this.#assertOpen();
    assertKey(key);
    if (!this.#started) await this.ready();
    const found = await this.#find(key);
    return found !== undefined && !isExpired(found.record, this.#now());
  }

  /** Milliseconds until the item expires; `null` when missing or without expiry. */
  async getTTL(key: string): Promise<number | null> {
    this.#assertOpen();
    assertKey(key);
    if (!this.#started) await this.ready();
    const found = await this.#find(key);
    if (!found || isExpired(found.record, this.#now())) return null;
    return timeLeft(found.record, this.#now());
  }

  /** How an item is stored (encrypted, sliding, TTL, layer), without reading or decrypting its value; `null` when missing or expired. */
  async info(key: string): Promise<ItemInfo | null> {
    this.#assertOpen();
    assertKey(key);
    if (!this.#started) await this.ready();
    const found = await this.#find(key);
    const now = this.#now();
    if (!found || isExpired(found.record, now)) return null;
    const { record } = found;
    return {
      encrypted: record.x === 1,
      sliding: record.s === 1,
      ttl: record.t ?? null,
      expiresIn: timeLeft(record, now),
      layer: this.#layers[found.layer]?.kind ?? 'memory',
    };
  }

  /** Sets the expiry to now + `ms` (and the sliding TTL to `ms`); `false` when the key is missing. */
  async extendTTL(key: string, ms: number): Promise<boolean> {
    this.#assertOpen();
    assertKey(key);
    assertSetOptions({ ttl: ms });
    if (!this.#started) await this.ready();
    const found = await this.#find(key);
    const now = this.#now();
    if (!found || isExpired(found.record, now) || isFutureRecord(found.record)) return false;
    const record: StoredRecord = {
      ...found.record,
      e: now + ms,
      t: ms,
      u: this.#stamp(now),
      w: this.#id,
    };
    const layer = await this.#write(key, record);
    if (found.text !== undefined) this.#cache?.set(key, { record, layer, text: found.text });
    else this.#cache?.invalidate(key);
    this.#post({ kind: 'set', key, layer: this.#layers[layer]?.kind ?? 'memory', record });
    return true;
  }

  /** Removes a key from every layer. */
  async remove(key: string): Promise<void> {
    this.#assertOpen();
    assertKey(key);
    if (!this.#started) await this.ready();
    await this.#removeKeys([key], false);
  }

  /**
   * Lists unexpired keys: all, those starting with `pattern`, or matching a glob with `*`
   * (`'session:*'`; `\*` is a literal star). Reads headers and indexes, never values.
   */
  async keys(pattern?: string): Promise<string[]> {
    this.#assertOpen();
    const compiled = compilePattern(pattern);
    if (!this.#started) await this.ready();
    const now = this.#now();
    const found = new Set<string>();
    await this.#eachLayer(async (layer) => {
      for (const key of await layer.keys(compiled.prefix, now)) {
        if (!compiled.matches(key)) continue;
        // A key removed here lately may still be listed by a lagging localStorage: check its write.
        if (this.#recentlyRemoved(key, now)) {
          const record = await layer.read(key).catch(() => null); // unreadable: listed, as before
          if (record === undefined || (record && this.#removedSince(key, record))) continue;
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
    this.#assertOpen();
    assertClearFilter(filter);
    if (!this.#started) await this.ready();
    const tags =
      filter.tags && filter.tags.length > 0 ? await this.#tagsToMatch(filter.tags) : undefined;
    const prefix = filter.prefix ?? '';
    const everything = tags === undefined && prefix === '';
    const { stamp, removed } = await this.#betweenRemoteChanges(async () => {
      const keys = new Set<string>();
      await this.#eachLayer(async (layer) => {
        const found = everything
          ? await layer.allKeys()
          : tags
            ? await layer.keysTagged(tags, prefix)
            : await layer.keys(prefix, Number.NEGATIVE_INFINITY);
        for (const key of found) keys.add(key);
      });
      const stamp = this.#stamp(this.#now());
      this.#rememberClear(prefix, tags, { u: stamp, w: this.#id });
      return {
        stamp,
        removed: await this.#deleteEverywhere(
          [...keys],
          { u: stamp, w: this.#id },
          tags === undefined ? { range: prefix } : {},
        ),
      };
    });
    const msg: SyncMessage = { kind: 'clear', keys: removed, u: stamp, w: this.#id };
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
    const set = this.#listeners[event] as Set<(payload: StrataEvents[E]) => void>;
    if (!set) throw new StrataError('INVALID_OPTIONS', `Unknown event "${String(event)}".`);
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  /** Deletes expired items now (the sweeper does it every `ttl.cleanupInterval`). Resolves to how many. */
  async sweep(): Promise<number> {
    this.#assertOpen();
    if (!this.#started) await this.ready();
    const now = this.#now();
    const keys = new Set<string>();
    await this.#eachLayer(async (layer) => {
      for (const key of await layer.expiredKeys(now)) keys.add(key);
    });
    if (keys.size > 0) await this.#expire([...keys]);
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
    this.#assertOpen();
    const target = rotationTarget(newPasswordOrKey, this.#options.encryption);
    if (!this.#started) await this.ready();
    const ring = await this.#keyCipher();
    const { rotateNamespaceKey } = await cryptoEngine();
    await rotateNamespaceKey(await this.#rotationScope(ring), target);
    this.#secret = target;
    this.#cache?.invalidateAll();
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
    this.#assertOpen();
    if (!this.#started) await this.ready();
    const { destroyNamespaceKey } = await cryptoEngine();
    await destroyNamespaceKey(this.#options.namespace, await this.#metaLayers());
    this.#dropKey();
    this.#keyChannel?.post({ phase: 'destroyed', gen: 0 });
    await this.clear();
  }

  /** Stops the sweeper, closes the channel and connections. Later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#sweeper);
    this.#subscribers.clear();
    await this.#ready?.catch(() => undefined);
    await this.#cipher?.catch(() => undefined);
    this.#keyChannel?.close();
    await Promise.all([this.#channel?.close(), ...this.#layers.map((layer) => layer.close())]);
  }

  // ── start-up ────────────────────────────────────────────────────────────────────────

  async #start(): Promise<void> {
    const { namespace, chain, idbOpenTimeout } = this.#options;
    for (const kind of chain) {
      const adapter = createAdapter(kind, namespace, idbOpenTimeout);
      if (await adapter.isAvailable()) this.#layers.push(adapter);
      else
        this.#report(
          new StrataError(
            'STORAGE_UNAVAILABLE',
            `${kind} is not available here; trying the next layer.`,
          ),
        );
    }
    this.#occupied = await Promise.all(
      this.#layers.map(
        async (layer, index) =>
          index === 0 ||
          (await layer.allKeys().then(
            (keys) => keys.length > 0,
            () => true,
          )),
      ),
    );
    const encryption = this.#options.encryption;
    const needsKey =
      this.#options.encryptByDefault ||
      this.#layers.some((l) => l.kind === 'secure') ||
      encryption?.password !== undefined ||
      encryption?.key !== undefined;
    if (needsKey) await this.#keyCipher();
    if (this.#options.sync) await this.#openSync(this.#options.sync);
    this.#scheduleSweep();
    this.#started = true;
  }

  /** A start-up that failed for a reason that may pass: forget it all, so the next call starts afresh. */
  async #undoStart(): Promise<void> {
    const layers = this.#layers;
    this.#layers = [];
    this.#occupied = [];
    this.#keyLayers = undefined;
    this.#cipher = undefined;
    this.#keyChannel?.close();
    this.#keyChannel = undefined;
    await Promise.all(layers.map((layer) => layer.close().catch(() => undefined)));
    // Only now: a close() meanwhile awaits the failed start-up, and so these layers' close.
    this.#ready = undefined;
  }

  async #openSync({ channel: name }: NonNullable<ResolvedOptions['sync']>): Promise<void> {
    const { SyncChannel } = await import('./sync/channel.js');
    try {
      this.#channel = await SyncChannel.open(
        name,
        this.#options.namespace,
        this.#id,
        {
          onMessage: (msg) => {
            // One at a time, in arrival order: two changes to a key must not interleave.
            this.#applying = this.#applying
              .then(() => this.#apply(msg))
              .catch((error: unknown) =>
                this.#report(toStorageError(error, 'Applying a cross-tab change')),
              );
          },
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
    if (this.#channel) this.#cache = new ReadCache(CACHE_LIMIT);
    else
      this.#report(
        new StrataError(
          'STORAGE_UNAVAILABLE',
          'This browser has no BroadcastChannel and no sync.fallback was given: cross-tab sync is off.',
        ),
      );
  }

  #keyCipher(): Promise<KeyRing> {
    if (this.#cipher) return this.#cipher;
    const pending = (async () => {
      const { finishPendingRotation, openKeyChannel, setupKeyRing } = await cryptoEngine();
      const metaLayers = await this.#metaLayers();
      const ring = await setupKeyRing(
        this.#options.namespace,
        this.#secret,
        metaLayers,
        (e) => this.#report(e),
        this.#layers,
      );
      if (!this.#keyChannel) {
        const channel = await openKeyChannel(
          this.#options.namespace,
          this.#id,
          (event) => this.#onKeyEvent(event),
          this.#fallback,
        );
        if (this.#closed || this.#keyChannel) channel?.close();
        else this.#keyChannel = channel;
      }
      if (this.#closed) throw closedError();
      await finishPendingRotation(await this.#rotationScope(ring)).catch((error: unknown) =>
        this.#report(toStorageError(error, 'Finishing a pending key rotation')),
      );
      return ring;
    })();
    this.#cipher = pending;
    // A key that could not be set up for a passing reason is tried again on the next use.
    pending.catch((error: unknown) => {
      if (isTransientError(error) && this.#cipher === pending) this.#cipher = undefined;
    });
    return pending;
  }

  /**
   * Layers holding key metadata (salt, verifier: nothing secret), so every tab of the
   * origin derives the same key. A chain with shared layers keeps it there only: no
   * per-tab copy (memory lives as long as the tab) can bring back a destroyed key. Metadata
   * an earlier version left only per tab is copied there first. A chain of per-tab layers
   * keeps it in localStorage first, and per tab too (dropped when a key is destroyed).
   */
  #metaLayers(): Promise<StorageAdapter[]> {
    this.#keyLayers ??= (async () => {
      const shared = this.#layers.filter((layer) => layer.shared);
      const perTab = this.#layers.filter((layer) => !layer.shared);
      if (shared.length > 0) {
        await adoptTabMeta(shared, perTab);
        return shared;
      }
      const local = createAdapter(
        'localStorage',
        this.#options.namespace,
        this.#options.idbOpenTimeout,
      );
      return (await local.isAvailable()) ? [local, ...perTab] : perTab;
    })();
    return this.#keyLayers;
  }

  async #rotationScope(ring: KeyRing): Promise<RotationScope> {
    return {
      namespace: this.#options.namespace,
      metaLayers: await this.#metaLayers(),
      dataLayers: this.#layers,
      ring,
      secret: this.#secret,
      report: (e) => this.#report(e),
      announce: (event) => this.#keyChannel?.post(event),
    };
  }

  /** Another tab rotated or destroyed the key: stop writing with ours, forget cached records. */
  #onKeyEvent(event: KeyEvent): void {
    this.#cache?.invalidateAll();
    if (event.phase === 'destroyed') {
      this.#dropKey();
      void this.#metaLayers().then(dropTabMeta);
      return;
    }
    this.#cipher?.then(
      (ring) => ring.markStale(event.gen),
      () => undefined,
    );
  }

  /**
   * A record of a newer key generation was met, perhaps before the other tab's
   * announcement: when the key metadata confirms the rotation, stop writing with the old key.
   */
  async #checkRotation(): Promise<void> {
    const ring = await this.#cipher?.catch(() => undefined);
    if (!ring) return;
    const { readMeta } = await cryptoEngine();
    const meta = await readMeta(await this.#metaLayers()).catch(() => undefined);
    ring.markStale(Math.max(meta?.gen ?? 1, meta?.next?.gen ?? 0));
  }

  #dropKey(): void {
    this.#cipher = undefined;
    this.#cache?.invalidateAll();
  }

  #scheduleSweep(): void {
    const interval = this.#options.cleanupInterval;
    if (interval <= 0 || this.#closed) return;
    this.#sweeper = setTimeout(() => {
      const run = (): void => {
        this.sweep()
          .catch((error: unknown) => this.#report(toStorageError(error, 'Sweeping expired items')))
          .finally(() => this.#scheduleSweep());
      };
      // Sweep when the page is idle, so a large store never janks an interaction.
      if (typeof requestIdleCallback === 'function')
        requestIdleCallback(run, { timeout: interval });
      else run();
    }, interval);
    (this.#sweeper as { unref?: () => void }).unref?.();
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────

  /** Finds the record of `key` in the first layer holding it (through the cache when on). */
  async #find(key: string): Promise<Found | undefined> {
    const cached = this.#cache?.get(key);
    const ticket = this.#cache?.ticket(key) ?? 0;
    if (cached && (await this.#stillCurrent(key, cached)))
      return { record: cached.record, layer: cached.layer, text: cached.text, ticket };
    for (let index = 0; index < this.#layers.length; index++) {
      if (!this.#occupied[index]) continue;
      const layer = this.#layers[index] as StorageAdapter;
      let record: StoredRecord | undefined;
      try {
        record = await layer.read(key);
      } catch (error) {
        this.#report(toStorageError(error, `Reading from ${layer.kind}`, key));
        continue;
      }
      if (record === undefined || this.#removedSince(key, record)) continue;
      if (isFutureRecord(record)) {
        this.#report(
          new StrataError(
            'UNSUPPORTED_VERSION',
            `A record has format version ${record.v}, newer than this build reads (${RECORD_VERSION}); it reads as null and is left in place.`,
            { key },
          ),
        );
        return undefined;
      }
      return { record, layer: index, ticket };
    }
    return undefined;
  }

  /**
   * Whether a cached read may be served. Chromium propagates a localStorage write to other
   * tabs' processes asynchronously, so another tab's message can arrive before its write
   * does. A cached localStorage entry is therefore checked against the stored record's write
   * stamp (a cheap header read that spares decryption and parsing): it is served while the
   * store holds the same write, or, for an entry heard from another tab less than
   * {@link LAG_WINDOW_MS} ago, while the store does not show that write yet. Otherwise the
   * store wins, so every tab converges on what localStorage finally holds. IndexedDB reads
   * are consistent across tabs.
   */
  async #stillCurrent(key: string, cached: CachedRead): Promise<boolean> {
    const layer = this.#layers[cached.layer] as StorageAdapter;
    if (layer.kind !== 'localStorage') return true;
    const stored = await layer.read(key).catch(() => undefined);
    if (stored && compareWrites(stored, cached.record) === 0 && stored.e === cached.record.e)
      return true;
    const arriving =
      cached.heardAt !== undefined && performance.now() - cached.heardAt < LAG_WINDOW_MS;
    if (arriving && (!stored || compareWrites(stored, cached.record) < 0)) return true;
    this.#cache?.invalidate(key);
    return false;
  }

  /** The JSON text of a record: decrypted when sealed. `undefined` (and a report) when unreadable. */
  async #plaintext(key: string, record: StoredRecord): Promise<string | undefined> {
    if (record.x !== 1) return record.p;
    try {
      return await (await this.#keyCipher()).decrypt(record.p, key);
    } catch (error) {
      if (error instanceof StrataError && error.code === 'KEY_ROTATED') await this.#checkRotation();
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
    const layer = this.#layers[found.layer] as StorageAdapter;
    await this.#betweenRemoteChanges(async () => {
      const stored = await layer.read(key);
      if (!stored || compareWrites(stored, found.record) !== 0 || this.#removedSince(key, stored))
        return;
      await layer.write(key, record);
      this.#cache?.fill(key, found.ticket, { record, layer: found.layer, text });
    }).catch((error: unknown) =>
      this.#report(toStorageError(error, `Sliding the expiry in ${layer.kind}`, key)),
    );
  }

  // ── writing ─────────────────────────────────────────────────────────────────────────

  /**
   * Writes to the first layer that accepts the record; a full or broken layer passes the
   * write to the next (reported as `'fallback'`). Copies in other layers are removed so
   * an old value is never shadowed or resurrected. Returns the index of the layer used.
   */
  async #write(key: string, record: StoredRecord): Promise<number> {
    let failure: StrataError | undefined;
    for (let index = 0; index < this.#layers.length; index++) {
      const layer = this.#layers[index] as StorageAdapter;
      let stored = record;
      if (layer.kind === 'secure' && record.x !== 1) {
        stored = {
          ...record,
          g: record.g ? await this.#hashTags(record.g) : undefined,
        } as StoredRecord;
        if (stored.g === undefined) delete stored.g;
        await this.#seal(key, stored);
      }
      try {
        await layer.write(key, stored);
      } catch (error) {
        const reason = toStorageError(error, `Writing to ${layer.kind}`, key);
        if (reason.code !== 'QUOTA_EXCEEDED' && reason.code !== 'STORAGE_UNAVAILABLE') throw reason;
        failure ??= reason;
        continue;
      }
      this.#occupied[index] = true;
      if (failure)
        this.#emitFallback(key, this.#layers[0]?.kind ?? layer.kind, layer.kind, failure);
      // Stale copies can only sit in other layers that hold data (usually none: no await).
      const stale = this.#layers.filter((_, i) => i !== index && this.#occupied[i]);
      if (stale.length > 0) {
        await Promise.all(
          stale.map((other) =>
            other
              .delete(key)
              .catch((e: unknown) =>
                this.#report(toStorageError(e, `Removing a stale copy from ${other.kind}`, key)),
              ),
          ),
        );
      }
      return index;
    }
    throw (
      failure ??
      new StrataError('STORAGE_UNAVAILABLE', 'No storage layer accepted the write.', { key })
    );
  }

  async #seal(key: string, record: StoredRecord): Promise<void> {
    record.p = await (await this.#keyCipher()).encrypt(record.p, key);
    record.x = 1;
  }

  /**
   * The tags a new record stores: `options.tags`, plus the stored tags of the keys in
   * `options[TAGS_OF]`; hashed when the record is encrypted. Hashed tags cannot go into a
   * clear record, so an encrypted item's tags are not carried to an unencrypted one.
   */
  async #tagsFor(options: InternalSetOptions, encrypt: boolean): Promise<string[]> {
    const own = [...new Set(options.tags ?? [])];
    const tags = new Set(encrypt && own.length > 0 ? await this.#hashTags(own) : own);
    for (const from of options[TAGS_OF] ?? []) {
      const record = (await this.#find(from))?.record;
      if (!record?.g || (record.x === 1 && !encrypt)) continue;
      for (const tag of record.x === 1 || !encrypt ? record.g : await this.#hashTags(record.g))
        tags.add(tag);
    }
    return [...tags];
  }

  async #hashTags(tags: readonly string[]): Promise<string[]> {
    const cipher = await this.#keyCipher();
    return Promise.all(tags.map((tag) => cipher.tagHash(tag)));
  }

  /** Tags as stored: the plain tag for clear items, plus its keyed hash when this namespace has a key. */
  async #tagsToMatch(tags: readonly string[]): Promise<string[]> {
    if (!this.#cipher && !(await this.#hasKeyMeta())) return [...tags];
    return [...tags, ...(await this.#hashTags(tags))];
  }

  /** True when some layer keeps key metadata: items may have been encrypted in an earlier session. */
  async #hasKeyMeta(): Promise<boolean> {
    const found = await Promise.all(
      (await this.#metaLayers()).map((layer) => layer.readMeta(META_NAME).catch(() => undefined)),
    );
    return found.some((meta) => meta !== undefined);
  }

  /** Removes keys from every layer, notifies and broadcasts; `expired` sweeps keep only what is still expired. */
  async #removeKeys(keys: string[], expired: boolean): Promise<void> {
    const { stamp, removed } = await this.#betweenRemoteChanges(async () => {
      const stamp = this.#stamp(this.#now());
      return {
        stamp,
        removed: await this.#deleteEverywhere(
          keys,
          { u: stamp, w: this.#id },
          { onlyExpired: expired },
        ),
      };
    });
    if (removed.length > 0 || !expired)
      this.#post({
        kind: 'remove',
        keys: expired ? removed : keys,
        u: stamp,
        w: this.#id,
        expired,
      });
  }

  /**
   * Runs a removal in the queue of changes from other tabs, never between two steps of
   * one: its stamp is then newer than every change applied before it, and every change
   * applied after it is judged against its tombstones. That is what lets every tab come
   * to the same state however the messages interleave.
   */
  #betweenRemoteChanges<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#applying.then(work);
    this.#applying = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #expire(keys: string[]): Promise<void> {
    return this.#removeKeys(keys, true);
  }

  /**
   * Deletes keys from every layer (expired-only when `onlyExpired`), records tombstones,
   * updates the cache and tells local subscribers. Returns the keys actually removed.
   */
  async #deleteEverywhere(
    keys: string[],
    stamp: { u: number; w: string },
    options: { onlyExpired?: boolean; range?: string } = {},
  ): Promise<string[]> {
    const { onlyExpired = false, range } = options;
    const watched = keys.filter((key) => this.#subscribers.watches(key));
    const oldValues = new Map<string, unknown>();
    for (const key of watched) oldValues.set(key, await this.#valueOf(key).catch(() => null));
    const now = this.#now();
    const removed = new Set<string>();
    await this.#eachLayer(async (layer) => {
      if (range !== undefined && !onlyExpired && layer.deleteRange) {
        // The listed keys are those under the prefix: one range delete removes them, and any
        // written since the listing too, so the whole cache goes (it may hold one of those).
        await layer.deleteRange(range);
        this.#cache?.invalidateAll();
        for (const key of keys) removed.add(key);
        return;
      }
      await Promise.all(
        keys.map(async (key) => {
          if (onlyExpired) {
            const record = await layer.read(key).catch(() => undefined);
            if (!record || !isExpired(record, now) || isFutureRecord(record)) return;
          }
          await layer.delete(key);
          removed.add(key);
        }),
      );
    }, true);
    for (const key of keys) {
      this.#cache?.invalidate(key);
      if (!onlyExpired || removed.has(key)) this.#tombstones.set(key, stamp);
    }
    this.#pruneTombstones(now);
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

  // ── cross-tab ───────────────────────────────────────────────────────────────────────

  #post(msg: SyncMessage): void {
    this.#channel
      ?.post(msg)
      .catch((error: unknown) => this.#report(toStorageError(error, 'Broadcasting a change')));
  }

  /**
   * Applies a change from another tab. Per-tab layers (memory, sessionStorage) take it when
   * it is newer than what they hold (last writer wins, writer id breaks ties) and newer
   * than any removal seen since; shared layers already hold it, so only the cache drops
   * its copy. Subscribers hear it with `source: 'remote'`.
   */
  async #apply(msg: SyncMessage): Promise<void> {
    if (this.#closed) return;
    const now = this.#now();
    switch (msg.kind) {
      case 'set': {
        const { key, record } = msg;
        const text = record.x === 1 ? await this.#plaintext(key, record) : record.p;
        if (text === undefined) {
          this.#cache?.invalidate(key); // forged, or sealed with a key this tab lacks: reported, not applied, nothing cached trusted
          return;
        }
        this.#lastStamp = Math.max(this.#lastStamp, record.u);
        if (this.#removedSince(key, record)) return;
        const oldValue = this.#oldValueForRemote(key);
        this.#cache?.invalidate(key);
        // localStorage may show this tab the write a little after the message: the message's
        // record is cached so a read right after the event already sees it (see #stillCurrent).
        const lagging = this.#layers.findIndex(
          (layer) => layer.kind === 'localStorage' && msg.layer === 'localStorage',
        );
        if (lagging >= 0)
          this.#cache?.set(key, { record, layer: lagging, text, heardAt: performance.now() });
        const target = this.#layers.findIndex((layer) => !layer.shared && layer.kind === msg.layer);
        if (target >= 0) {
          const layer = this.#layers[target] as StorageAdapter;
          const local = await layer.read(key).catch(() => undefined);
          const order = local ? compareWrites(record, local) : 1;
          if (order < 0) return;
          // Equal: another instance of this tab (sharing its per-tab stores) wrote it already; still news here.
          if (order > 0) {
            await layer.write(key, record);
            this.#occupied[target] = true;
          }
        }
        // An older copy in another per-tab layer (the write fell back past it) must not shadow this one.
        for (const [index, layer] of this.#layers.entries()) {
          if (layer.shared || index === target || !this.#occupied[index]) continue;
          const older = await layer.read(key).catch(() => undefined);
          if (older && compareWrites(older, record) < 0) await layer.delete(key);
        }
        if (this.#subscribers.watches(key)) {
          const newValue = isExpired(record, now) ? null : await this.#decode(key, record);
          this.#subscribers.emit({ key, oldValue, newValue, source: 'remote' });
        }
        return;
      }
      case 'remove':
      case 'clear': {
        this.#lastStamp = Math.max(this.#lastStamp, msg.u);
        const stamp = { u: msg.u, w: msg.w };
        if (msg.kind === 'clear') this.#rememberClear(msg.prefix ?? '', msg.tags, stamp);
        // The sender's range delete may have taken keys it did not list: no cached read is sure.
        if (msg.kind === 'clear' && msg.tags === undefined) this.#cache?.invalidateAll();
        const keys = new Set(msg.keys);
        const kept = new Set<string>(); // a per-tab copy newer than the removal stays, unannounced
        for (const layer of this.#layers) {
          // Shared layers lost these keys with the sender's write. A lagging localStorage may
          // still show them here, but deleting then could hit a newer write: reads skip them.
          if (layer.shared) continue;
          const candidates =
            msg.kind === 'remove' ? msg.keys : await this.#clearCandidates(layer, msg);
          for (const key of candidates) {
            const local = await layer.read(key).catch(() => undefined);
            if (!local) continue;
            const stale =
              msg.kind === 'remove' && msg.expired
                ? isExpired(local, now)
                : compareWrites(local, stamp) < 0;
            if (!stale) {
              kept.add(key);
              continue;
            }
            await layer.delete(key);
            keys.add(key);
          }
        }
        for (const key of keys) {
          const oldValue = this.#oldValueForRemote(key);
          this.#cache?.invalidate(key);
          if (!(msg.kind === 'remove' && msg.expired)) this.#tombstones.set(key, stamp);
          if (this.#subscribers.watches(key) && !kept.has(key))
            this.#subscribers.emit({ key, oldValue, newValue: null, source: 'remote' });
        }
        this.#pruneTombstones(now);
        return;
      }
    }
  }

  async #clearCandidates(
    layer: StorageAdapter,
    msg: Extract<SyncMessage, { kind: 'clear' }>,
  ): Promise<string[]> {
    const prefix = msg.prefix ?? '';
    if (msg.tags) return layer.keysTagged(msg.tags, prefix);
    if (prefix === '') return layer.allKeys();
    return layer.keys(prefix, Number.NEGATIVE_INFINITY);
  }

  /** The value this tab last saw for a key changed elsewhere: known only when cached. */
  #oldValueForRemote(key: string): unknown {
    const cached = this.#cache?.get(key);
    if (!cached) return null;
    try {
      return deserialize(cached.text);
    } catch {
      return null;
    }
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────

  /** Runs `work` on each layer that may hold data (all layers with `all`); a failing layer is reported and skipped. */
  async #eachLayer(work: (layer: StorageAdapter) => Promise<void>, all = false): Promise<void> {
    await Promise.all(
      this.#layers.map(async (layer, index) => {
        if (!all && !this.#occupied[index]) return;
        try {
          await work(layer);
        } catch (error) {
          if (isQuotaError(error)) throw error;
          this.#report(toStorageError(error, `Using ${layer.kind}`));
        }
      }),
    );
  }

  #emitFallback(key: string, from: StorageKind, to: StorageKind, reason: StrataError): void {
    for (const handler of this.#listeners.fallback) handler({ key, from, to, reason });
    this.#report(
      new StrataError(
        reason.code,
        `${reason.message} The item "${key}" was written to ${to} instead${to === 'memory' ? ' (it will not survive a reload)' : ''}.`,
        { cause: reason, key },
      ),
    );
  }

  #report(error: StrataError): void {
    const handlers = [...this.#listeners.error];
    if (this.#options.onError) handlers.push(this.#options.onError);
    if (handlers.length === 0) {
      console.warn(`[strata-storage] ${error.code}: ${error.message}`);
      return;
    }
    for (const handler of handlers) {
      try {
        handler(error);
      } catch {
        // an error handler that throws must not break storage
      }
    }
  }

  /**
   * A clear covers keys the clearing tab did not hold yet: a write from a third tab that is
   * older than the clear but arrives after it must not survive here while it is gone there.
   */
  #rememberClear(
    prefix: string,
    tags: string[] | undefined,
    stamp: { u: number; w: string },
  ): void {
    const horizon = this.#now() - TOMBSTONE_MS;
    const filter = tags === undefined ? undefined : [...tags].sort().join('\n');
    const same = (c: { prefix: string; tags: string[] | undefined }) =>
      c.prefix === prefix &&
      (c.tags === undefined ? filter === undefined : [...c.tags].sort().join('\n') === filter);
    // The newest clear of one prefix and tags covers everything an older one did: keep one
    // per filter, so a burst of clears never pushes out one that still has to hold.
    const kept = this.#clears.filter(
      (c) => c.u > horizon && !(same(c) && compareWrites(c, stamp) <= 0),
    );
    if (!kept.some(same)) kept.push({ prefix, tags, ...stamp });
    this.#clears = kept.slice(-MAX_REMEMBERED_CLEARS);
  }

  /**
   * Whether a removal or clear this tab knows of is newer than `record`: such a record is
   * a copy that localStorage has not dropped here yet, or one a late write brought back.
   */
  #removedSince(key: string, record: StoredRecord): boolean {
    const tomb = this.#tombstones.get(key);
    return (
      (tomb !== undefined && compareWrites(record, tomb) <= 0) || this.#clearedAfter(key, record)
    );
  }

  /** Whether `key` has a tombstone, or falls under a clear of the last {@link LAG_WINDOW_MS}. */
  #recentlyRemoved(key: string, now: number): boolean {
    return (
      this.#tombstones.has(key) ||
      this.#clears.some((c) => now - c.u < LAG_WINDOW_MS && key.startsWith(c.prefix))
    );
  }

  #clearedAfter(key: string, record: StoredRecord): boolean {
    return this.#clears.some(
      (c) =>
        key.startsWith(c.prefix) &&
        (c.tags === undefined || hasAnyTag(record, c.tags)) &&
        compareWrites(record, c) <= 0,
    );
  }

  #pruneTombstones(now: number): void {
    if (this.#tombstones.size < 1_000) return;
    for (const [key, stamp] of this.#tombstones)
      if (now - stamp.u > TOMBSTONE_MS) this.#tombstones.delete(key);
  }

  /** A write stamp: the clock, but never behind a stamp already seen, so later writes always win. */
  #stamp(now: number): number {
    this.#lastStamp = Math.max(now, this.#lastStamp + 1);
    return this.#lastStamp;
  }

  #now(): number {
    return this.#options.clock();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

/** The encryption code, loaded on first use of a key (an app that never encrypts never downloads it). */
function cryptoEngine(): Promise<typeof import('./crypto/engine.js')> {
  return import('./crypto/engine.js');
}

function closedError(): StrataError {
  return new StrataError('CLOSED', 'This Strata instance is closed; create a new one.');
}
