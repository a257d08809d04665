import type { StrataError } from '../errors.js';
import type { ChangeListener, ClearFilter, ItemInfo, SetOptions, StorageKind } from '../types.js';

/**
 * The part of a `Strata` that the session layer calls: sessions take any store with these
 * members (a `Strata` is one), so they can be tested and composed without the whole class.
 */
export interface StrataLike {
  /** Isolates lock names and markers per namespace. */
  readonly namespace: string;
  /** The value under `key`; `null` when missing, expired or unreadable. */
  get<T = unknown>(key: string): Promise<T | null>;
  /** Stores `value` under `key` (TTL, sliding, encryption and tags as `options` say). */
  set(key: string, value: unknown, options?: SetOptions): Promise<void>;
  /** Removes `key`. */
  remove(key: string): Promise<void>;
  /** The live keys matching `pattern` (a prefix, or a glob with `*`). */
  keys(pattern?: string): Promise<string[]>;
  /** Removes the items matching `filter` (everything without one). */
  clear(filter?: ClearFilter): Promise<void>;
  /** Milliseconds left before `key` expires; `null` when missing or without expiry. */
  getTTL(key: string): Promise<number | null>;
  /** How `key` is stored (expiry, sliding, encryption); `null` when missing. */
  info(key: string): Promise<ItemInfo | null>;
  /** Calls `listener` on every change to a key matching `pattern`, here or in another tab. */
  subscribe<T = unknown>(pattern: string, listener: ChangeListener<T>): () => void;
  /** Listens to failures that did not throw (a tampered record, a key that no longer decrypts). */
  on(event: 'error', handler: (error: StrataError) => void): () => void;
  /** Destroys the namespace key and removes every item (crypto-shredding). */
  destroyKey(): Promise<void>;
  /** Which persistent layers the browser evicted since this browser last used them. */
  status?(): { evicted: readonly StorageKind[] };
}
