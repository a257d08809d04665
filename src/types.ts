import type { LayerStatus } from './layer-chain.js';

/** The storage layers a {@link Strata} can sit on. `'secure'` is IndexedDB with every item encrypted. */
export type StorageKind = 'memory' | 'sessionStorage' | 'localStorage' | 'indexedDB' | 'secure';

/** Every storage kind, in no particular order. */
export const STORAGE_KINDS: readonly StorageKind[] = [
  'memory',
  'sessionStorage',
  'localStorage',
  'indexedDB',
  'secure',
];

/** Encryption at rest. */
export interface EncryptionOptions {
  /** Encrypt every item unless `set(…, { encrypt: false })` says otherwise. */
  enabled: boolean;
  /** PBKDF2-SHA-256 (≥ 600,000 iterations) → AES-GCM key; the random salt is kept with the namespace. */
  password?: string;
  /** Or bring your own AES-GCM `CryptoKey` (usages encrypt + decrypt). */
  key?: CryptoKey;
  /** Only AES-GCM is offered. */
  algorithm?: 'AES-GCM';
  /** AES key size for password-derived and device keys. Default 256. */
  keySize?: 128 | 256;
  /** PBKDF2 iterations for `password`: 600,000 (the default) to 10,000,000. */
  iterations?: number;
  /**
   * Protects a copy of the browser profile: the namespace's data key is a random AES-GCM key
   * stored only wrapped (AES-KW or AES-GCM) by the `CryptoKey` this function resolves to, and
   * unwrapped non-extractable in memory. The browser never persists the wrapping key: fetch
   * it from your server after sign-in (for example as raw bytes, imported non-extractable
   * with the `wrapKey` and `unwrapKey` usages). A profile copied without it decrypts
   * nothing; once `destroyKey()` ran and the server forgot the wrapping key, no copy taken
   * before decrypts either (crypto-shredding).
   *
   * Called once per key set-up, before the namespace's key lock is taken (a call that never
   * settles holds up only this instance). Not with `password` or `key` (`INVALID_OPTIONS`).
   * Another wrapping key than the namespace's rejects `ready()` with `WRONG_KEY`; a rejection of
   * the function with `WRAPPING_KEY_UNAVAILABLE` (your error as `cause`; the next call asks
   * again); a result that is not an
   * AES-KW or AES-GCM key with those usages with `INVALID_OPTIONS`.
   */
  wrappingKey?: () => Promise<CryptoKey>;
}

/** Time-to-live defaults, in milliseconds. */
export interface TtlOptions {
  /** TTL for items set without one. */
  default?: number;
  /** Whether items set without `sliding` slide. Default false. */
  sliding?: boolean;
  /** How often expired items are swept from storage. Default 60,000; 0 turns the sweeper off. */
  cleanupInterval?: number;
}

/** Cross-tab sync over BroadcastChannel. */
export interface SyncOptions {
  enabled: boolean;
  /** Channel name. Default `strata:<namespace>`. */
  broadcastChannel?: string;
  /**
   * Opens the channel where the browser has no native `BroadcastChannel` (all current
   * browsers have one). Without it, sync is off there and `STORAGE_UNAVAILABLE` is reported.
   * It must open a channel within 5 s; one that throws or takes longer is given up on for
   * the instance (`TIMEOUT` or the error reported, sync off).
   * `import { broadcastChannelFallback } from 'strata-storage/broadcast-channel'`.
   */
  fallback?: import('./sync/transport.js').ChannelTransportFactory;
}

/** Options of `new Strata(…)`. */
export interface StrataOptions {
  /** Isolates instances; default `'strata'`. Any string: it is encoded, so namespaces never collide. */
  namespace?: string;
  /** Default `'localStorage'`. */
  defaultStorage?: StorageKind;
  /** Tried in order when a layer is unavailable or full; `'memory'` is always the last resort. */
  fallbackStorage?: StorageKind | StorageKind[];
  encryption?: EncryptionOptions;
  ttl?: TtlOptions;
  sync?: SyncOptions;
  /** Milliseconds to wait for `indexedDB.open()` before falling back. Default 3,000. */
  idbOpenTimeout?: number;
  /**
   * Ask the browser to keep this origin's storage under pressure (`navigator.storage.persist()`)
   * at start-up, without waiting for the answer; `status().persistence` reports it. Default false.
   */
  persist?: boolean;
  /** The clock, injectable for tests. Default `Date.now`. */
  clock?: () => number;
  /** Timer functions (the sweeper's, sync's settle checks'), injectable for tests. Default the platform's. */
  timers?: Partial<import('./timers.js').Timers>;
  /** Receives every error the SDK reports instead of throwing (tampered records, failed layers…). */
  onError?: (error: import('./errors.js').StrataError) => void;
}

/** Options of `strata.set(…)`. */
export interface SetOptions {
  /** Milliseconds until the item expires. */
  ttl?: number;
  /** Every successful `get` pushes the expiry to now + ttl. */
  sliding?: boolean;
  /** Overrides the instance's `encryption.enabled` for this item. */
  encrypt?: boolean;
  /** Labels for `clear({ tags })`. Stored as keyed hashes when the item is encrypted. */
  tags?: string[];
}

/** What `strata.info(key)` tells of a stored item, without reading its value. */
export interface ItemInfo {
  /** Encrypted at rest. */
  encrypted: boolean;
  /** Each successful `get` pushes the expiry to now + `ttl`. */
  sliding: boolean;
  /** The item's TTL in ms (the sliding length); `null` without expiry. */
  ttl: number | null;
  /** Milliseconds left; `null` without expiry. */
  expiresIn: number | null;
  /** The layer holding it. */
  layer: StorageKind;
}

/** Filter of `strata.clear(…)`: items matching every given criterion are removed. */
export interface ClearFilter {
  /** Items carrying any of these tags. */
  tags?: string[];
  /** Items whose key starts with this prefix. */
  prefix?: string;
}

/** What a subscriber receives. `newValue` is `null` on removal or expiry. */
export interface StorageChange<T = unknown> {
  key: string;
  oldValue: T | null;
  newValue: T | null;
  source: 'local' | 'remote';
}

/** A subscriber callback. */
export type ChangeListener<T = unknown> = (change: StorageChange<T>) => void;

/** What `Strata.status()` tells. */
export interface StrataStatus {
  /** Where the next write is expected to land (as `Strata.storage`). */
  storage: StorageKind;
  /** The layers found available at start-up, in read order, with their health. */
  layers: LayerStatus[];
  /** Persistent layers whose data the browser deleted since this browser last used them (see `on('evicted')`). */
  evicted: StorageKind[];
  /**
   * The answer to `persist: true`: `'pending'` while the browser has not answered (Firefox
   * asks the user), `'unsupported'` without `navigator.storage.persist`.
   */
  persistence: 'not requested' | 'pending' | 'granted' | 'denied' | 'unsupported';
}
