import { deserialize } from './codec/serialize.js';
import { toStorageError } from './errors.js';
import type { EvictionWatch } from './eviction.js';
import type { LayerRef } from './layer-chain.js';
import type { ResolvedOptions } from './options.js';
import type { StorageAdapter } from './adapters/adapter.js';
import type { Found, Reader } from './reader.js';
import { isFutureRecord, newRecord, type StoredRecord } from './record.js';
import type { StoreContext } from './store-context.js';
import { tagsFor } from './tags.js';
import type { SetOptions } from './types.js';

/** What a write takes of the options: the defaults of a new item. */
type WriteDefaults = Pick<ResolvedOptions, 'encryptByDefault' | 'ttlDefault' | 'slidingDefault'>;

/** Builds records (TTL, tags, seal) and writes them through the chain, telling cache, tabs and subscribers. */
export class Writer {
  readonly #ctx: StoreContext;
  readonly #reader: Reader;
  readonly #eviction: EvictionWatch;
  readonly #defaults: WriteDefaults;

  constructor(ctx: StoreContext, reader: Reader, eviction: EvictionWatch, defaults: WriteDefaults) {
    this.#ctx = ctx;
    this.#reader = reader;
    this.#eviction = eviction;
    this.#defaults = defaults;
  }

  /**
   * Stores the serialized `text` of a value; `tagsOf`: keys whose stored tags it also carries.
   * With `sliding` but no `ttl`, the item keeps the TTL it already had.
   */
  async set(key: string, text: string, options: SetOptions, tagsOf: readonly string[] = []) {
    const { cache, subscribers } = this.#ctx;
    const now = this.#ctx.now();
    let ttl = options.ttl ?? this.#defaults.ttlDefault;
    if (options.ttl === undefined && options.sliding === true) {
      const current = await this.#reader.live(key);
      if (current?.record.t !== undefined) ttl = current.record.t;
    }
    // An item bound for 'secure' is sealed before it leaves: its broadcast and any fallback copy too.
    const encrypt =
      (options.encrypt ?? this.#defaults.encryptByDefault) ||
      this.#ctx.chain.adapters[0]?.kind === 'secure';
    const sliding = options.sliding ?? this.#defaults.slidingDefault;
    const record = newRecord(text, this.#ctx.clock.stamp(now), now, ttl, sliding);
    if (options.tags?.length || tagsOf.length > 0) {
      const tags = await tagsFor(this.#reader, options.tags ?? [], tagsOf, encrypt);
      if (tags.length > 0) record.g = tags;
    }
    if (encrypt) await (await this.#ctx.key()).seal(key, record);
    const oldValue = subscribers.watches(key) ? await this.#reader.valueOf(key) : null;
    const layer = await this.#ctx.chain.write(key, record, this.#prepare);
    const marking = this.#wrote(key, record, layer);
    if (marking) await marking;
    cache.set(key, { record, layer, text });
    this.#ctx.post({ kind: 'set', key, layer: layer.kind, record });
    if (subscribers.watches(key))
      subscribers.emit({ key, oldValue, newValue: deserialize(text), source: 'local' });
  }

  /** Sets the expiry of the item `found` to now + `ms` (and its sliding TTL); `false` when it cannot. */
  async extend(key: string, found: Found, ms: number): Promise<boolean> {
    if (isFutureRecord(found.record)) return false;
    const now = this.#ctx.now();
    let record: StoredRecord = {
      ...found.record,
      e: now + ms,
      t: ms,
      ...this.#ctx.clock.stamp(now),
    };
    if (record.x === 1) {
      // The header is sealed with the value: a new expiry is a new seal, never on a tampered record.
      const opened = found.opened ?? (await this.#reader.open(key, found.record, found.layer.kind));
      if (!opened) return false;
      record = await this.#reader.reseal(key, record, opened);
    }
    const layer = await this.#ctx.chain.write(key, record, this.#prepare);
    const marking = this.#wrote(key, record, layer);
    if (marking) await marking;
    if (found.text !== undefined) this.#ctx.cache.set(key, { record, layer, text: found.text });
    else this.#ctx.cache.invalidate(key);
    this.#ctx.post({ kind: 'set', key, layer: layer.kind, record });
    return true;
  }

  /** The `'secure'` layer gets a sealed copy of a clear record; every other layer the record. */
  readonly #prepare = (adapter: StorageAdapter, stored: StoredRecord, key: string) =>
    adapter.kind === 'secure' && stored.x !== 1
      ? this.#ctx.key().then((namespaceKey) => namespaceKey.sealedCopy(key, stored))
      : stored;

  /**
   * After a write: notes the deadline and marks a persistent layer that took data, returning a
   * promise only then. Not async: an async step of its own made every set measurably slower.
   */
  #wrote(key: string, record: StoredRecord, layer: LayerRef): Promise<void> | undefined {
    this.#ctx.deadlines.note(key, record, this.#ctx.now());
    return this.#eviction
      .held(this.#ctx.chain.at(layer))
      ?.catch((error: unknown) => this.#ctx.report(toStorageError(error, 'Marking a layer held')));
  }
}
