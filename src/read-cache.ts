import type { LayerRef } from './layer-chain.js';
import type { StoredRecord } from './record.js';
import { LAG_WINDOW_MS } from './removal-log.js';
import { compareWrites } from './write-clock.js';

/** A cached read: the record where it was found and its decoded JSON text. */
export interface CachedRead {
  record: StoredRecord;
  layer: LayerRef;
  text: string;
  /** `performance.now()` when the entry came from another tab's message rather than a read or write here. */
  heardAt?: number;
}

/** Reads the stored record of a key in one layer (the lag check's cheap header read). */
export type ReadAt = (layer: LayerRef, key: string) => Promise<StoredRecord | undefined>;

/** Decoded reads kept between calls; {@link NO_CACHE} when sync is off. */
export interface RecordCache {
  /** The entry of `key` when it may still be served (see {@link ReadCache.lookup}). */
  lookup(key: string, readAt: ReadAt): Promise<CachedRead | undefined>;
  /** The entry of `key` as cached, unchecked. */
  peek(key: string): CachedRead | undefined;
  /** A token to pass to {@link fill}: the fill is ignored if `key` changed in between. */
  ticket(key: string): number;
  fill(key: string, ticket: number, entry: CachedRead): void;
  set(key: string, entry: CachedRead): void;
  invalidate(key: string): void;
  invalidateAll(): void;
}

/** The cache of an instance without sync: nothing is kept, since no other tab's change would reach it. */
export const NO_CACHE: RecordCache = {
  lookup: () => Promise.resolve(undefined),
  peek: () => undefined,
  ticket: () => 0,
  fill: () => undefined,
  set: () => undefined,
  invalidate: () => undefined,
  invalidateAll: () => undefined,
};

/**
 * A bounded LRU cache of decoded reads, used only when cross-tab sync is on (the channel is
 * what invalidates it when another tab writes). A fill started before an invalidation
 * of the same key is dropped, so a slow read never caches a stale value.
 */
export class ReadCache implements RecordCache {
  readonly #entries = new Map<string, CachedRead>();
  readonly #generations = new Map<string, number>();
  readonly #limit: number;
  #epoch = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Chromium hands a localStorage write to other tabs' processes asynchronously, so another
   * tab's message can arrive before its write. A localStorage entry is served while the
   * store holds the same write, or, for one heard less than {@link LAG_WINDOW_MS} ago, while
   * the store does not show it yet; otherwise the store wins, so every tab converges.
   */
  async lookup(key: string, readAt: ReadAt): Promise<CachedRead | undefined> {
    const cached = this.peek(key);
    if (!cached || cached.layer.kind !== 'localStorage') return cached;
    const stored = await readAt(cached.layer, key).catch(() => undefined);
    if (stored && compareWrites(stored, cached.record) === 0 && stored.e === cached.record.e)
      return cached;
    const arriving =
      cached.heardAt !== undefined && performance.now() - cached.heardAt < LAG_WINDOW_MS;
    if (arriving && (!stored || compareWrites(stored, cached.record) < 0)) return cached;
    this.invalidate(key);
    return undefined;
  }

  peek(key: string): CachedRead | undefined {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key); // re-insert: most recently used last
      this.#entries.set(key, hit);
    }
    return hit;
  }

  ticket(key: string): number {
    return (this.#generations.get(key) ?? 0) + this.#epoch * 2 ** 32;
  }

  fill(key: string, ticket: number, entry: CachedRead): void {
    if (ticket === this.ticket(key)) this.set(key, entry);
  }

  set(key: string, entry: CachedRead): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#limit) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  invalidate(key: string): void {
    this.#entries.delete(key);
    this.#generations.set(key, (this.#generations.get(key) ?? 0) + 1);
    // Bounded: forgetting the counters moves the epoch, so every ticket out is void (safe).
    if (this.#generations.size > 2 * this.#limit) {
      this.#generations.clear();
      this.#epoch++;
    }
  }

  invalidateAll(): void {
    this.#entries.clear();
    this.#generations.clear();
    this.#epoch++;
  }
}
