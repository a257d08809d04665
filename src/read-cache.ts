import type { StoredRecord } from './record.js';

/** A cached read: the record where it was found and its decoded JSON text. */
export interface CachedRead {
  record: StoredRecord;
  layer: number;
  text: string;
  /** `performance.now()` when the entry came from another tab's message rather than a read or write here. */
  heardAt?: number;
}

/**
 * A bounded cache of decoded reads, used only when cross-tab sync is on (the channel is
 * what invalidates it when another tab writes). A fill started before an invalidation
 * of the same key is dropped, so a slow read never caches a stale value.
 */
export class ReadCache {
  readonly #entries = new Map<string, CachedRead>();
  readonly #generations = new Map<string, number>();
  readonly #limit: number;
  #epoch = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: string): CachedRead | undefined {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key); // re-insert: most recently used last
      this.#entries.set(key, hit);
    }
    return hit;
  }

  /** A token to pass to {@link fill}: the fill is ignored if `key` changed in between. */
  ticket(key: string): number {
    return (this.#generations.get(key) ?? 0) + this.#epoch * 2 ** 32;
  }

  fill(key: string, ticket: number, entry: CachedRead): void {
    if (ticket !== this.ticket(key)) return;
    this.set(key, entry);
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
