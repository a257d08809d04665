import type { StoredRecord } from '../record.js';
import type { StorageKind } from '../types.js';

/**
 * One storage backend, scoped to one namespace. Keys here are the caller's keys; each
 * adapter encodes the namespace into its physical keys or database name so namespaces
 * never collide. Queries that filter (`keys`, `keysTagged`, `expiredKeys`) read record
 * headers or indexes only, never values.
 */
export interface StorageAdapter {
  readonly kind: StorageKind;
  /** False for per-tab layers (`memory`, `sessionStorage`). */
  readonly shared: boolean;
  /** Probes with real operations: private modes, disabled storage, blocked or hung IndexedDB; may reject with the reason. */
  isAvailable(): Promise<boolean>;
  read(key: string): Promise<StoredRecord | undefined>;
  /** Resolves once durable in this layer; rejects with `QUOTA_EXCEEDED` or `STORAGE_UNAVAILABLE`. */
  write(key: string, record: StoredRecord): Promise<void>;
  delete(key: string): Promise<void>;
  /** Where the store can: deletes every record whose key starts with `prefix` (`''`: all) in one operation. */
  deleteRange?(prefix: string): Promise<void>;
  /** Keys starting with `prefix` that are not expired at `now` (malformed records skipped). */
  keys(prefix: string, now: number): Promise<string[]>;
  /** Keys starting with `prefix` whose record carries any of `tags`, expired or not. */
  keysTagged(tags: readonly string[], prefix: string): Promise<string[]>;
  /** Keys whose record expired at or before `now`. */
  expiredKeys(now: number): Promise<string[]>;
  /** Every key of the namespace, readable or not (for `clear()` without a filter). */
  allKeys(): Promise<string[]>;
  /** Namespace metadata (salt, verifier): small strings outside the key space. */
  readMeta(name: string): Promise<string | undefined>;
  writeMeta(name: string, value: string): Promise<void>;
  /** Removes a metadata entry (crypto-shredding removes the key metadata). */
  deleteMeta(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Encodes a namespace so that it never contains the separators adapters use. */
export function encodeNamespace(namespace: string): string {
  return encodeURIComponent(namespace);
}
