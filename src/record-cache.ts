import type { LayerRef } from './layer-chain.js';
import type { StoredRecord } from './record.js';

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

/** Decoded reads kept between calls: a `ReadCache` (read-cache.ts) while sync is on, else {@link NO_CACHE}. */
export interface RecordCache {
  /**
   * The entry of `key` when it may still be served; a promise only when a localStorage entry is
   * checked against the store (a read is a hot path: no await when none is needed).
   */
  lookup(key: string, readAt: ReadAt): CachedRead | undefined | Promise<CachedRead | undefined>;
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
  lookup: () => undefined,
  peek: () => undefined,
  ticket: () => 0,
  fill: () => undefined,
  set: () => undefined,
  invalidate: () => undefined,
  invalidateAll: () => undefined,
};
