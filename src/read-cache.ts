import type { CachedRead, ReadAt, RecordCache } from './record-cache.js';
import { LAG_WINDOW_MS } from './removal-log.js';
import { compareWrites } from './write-clock.js';

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
  lookup(key: string, readAt: ReadAt): CachedRead | undefined | Promise<CachedRead | undefined> {
    const cached = this.peek(key);
    if (!cached || cached.layer.kind !== 'localStorage') return cached;
    return this.#checked(key, cached, readAt);
  }

  /** A localStorage entry, still served when the store agrees or its change is on its way. */
  async #checked(key: string, cached: CachedRead, readAt: ReadAt): Promise<CachedRead | undefined> {
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
    if (ticket === this.ticket(key)) this.#put(key, entry);
  }

  /** A write's own entry: it voids the tickets out, so a read begun before it never overwrites it. */
  set(key: string, entry: CachedRead): void {
    this.invalidate(key);
    this.#put(key, entry);
  }

  #put(key: string, entry: CachedRead): void {
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
