import type { StrataError } from '../errors.js';
import type { ChangeListener, ClearFilter, ItemInfo, SetOptions } from '../types.js';

/**
 * The part of a `Strata` that the session layer calls: sessions take any store with these
 * members (a `Strata` is one), so they can be tested and composed without the whole class.
 */
export interface StrataLike {
  /** Isolates lock names and markers per namespace. */
  readonly namespace: string;
  get<T = unknown>(key: string): Promise<T | null>;
  set(key: string, value: unknown, options?: SetOptions): Promise<void>;
  remove(key: string): Promise<void>;
  keys(pattern?: string): Promise<string[]>;
  clear(filter?: ClearFilter): Promise<void>;
  getTTL(key: string): Promise<number | null>;
  info(key: string): Promise<ItemInfo | null>;
  subscribe<T = unknown>(pattern: string, listener: ChangeListener<T>): () => void;
  on(event: 'error', handler: (error: StrataError) => void): () => void;
  destroyKey(): Promise<void>;
}
