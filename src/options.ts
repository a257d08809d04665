import { validIterations } from './crypto/secret.js';
import { StrataError } from './errors.js';
import { resolveTimers, type Timers } from './timers.js';
import { isValidTtl } from './ttl.js';
import type { ChannelTransportFactory } from './sync/transport.js';
import {
  STORAGE_KINDS,
  type ClearFilter,
  type SetOptions,
  type StorageKind,
  type StrataOptions,
} from './types.js';

/** Options after validation, with defaults filled in. */
export interface ResolvedOptions {
  namespace: string;
  chain: StorageKind[];
  encryption: NonNullable<StrataOptions['encryption']> | undefined;
  encryptByDefault: boolean;
  /** A key from the start: encrypted by default, or a secret given (its channel is sealed). */
  keyed: boolean;
  ttlDefault: number | undefined;
  slidingDefault: boolean;
  cleanupInterval: number;
  sync: { channel: string; fallback: ChannelTransportFactory | undefined } | undefined;
  idbOpenTimeout: number;
  timers: Timers;
  persist: boolean;
  onError: StrataOptions['onError'];
}

/** Validates `new Strata(options)` and fails fast with `INVALID_OPTIONS`. Touches no browser global. */
export function resolveOptions(options: StrataOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const namespace = options.namespace ?? 'strata';
  if (typeof namespace !== 'string' || namespace === '')
    fail('namespace must be a non-empty string');
  const defaultStorage = options.defaultStorage ?? 'localStorage';
  assertKind(defaultStorage, 'defaultStorage');
  const fallback =
    options.fallbackStorage === undefined
      ? []
      : Array.isArray(options.fallbackStorage)
        ? options.fallbackStorage
        : [options.fallbackStorage];
  fallback.forEach((kind) => assertKind(kind, 'fallbackStorage'));
  const chain = [...new Set<StorageKind>([defaultStorage, ...fallback, 'memory'])];

  const encryption = options.encryption;
  if (encryption !== undefined) {
    if (
      typeof encryption !== 'object' ||
      encryption === null ||
      typeof encryption.enabled !== 'boolean'
    )
      fail('encryption must be { enabled: boolean, … }');
    if (
      encryption.password !== undefined &&
      (typeof encryption.password !== 'string' || encryption.password === '')
    )
      fail('encryption.password must be a non-empty string');
    if (
      encryption.key !== undefined &&
      (typeof CryptoKey === 'undefined' ||
        !(encryption.key instanceof CryptoKey) ||
        encryption.key.algorithm.name !== 'AES-GCM')
    )
      fail('encryption.key must be an AES-GCM CryptoKey');
    if (encryption.password !== undefined && encryption.key !== undefined)
      fail('give encryption.password or encryption.key, not both');
    assertOptional(encryption.wrappingKey, 'function', 'encryption.wrappingKey');
    if (
      encryption.wrappingKey !== undefined &&
      (encryption.password !== undefined || encryption.key !== undefined)
    )
      fail('give encryption.wrappingKey without encryption.password or encryption.key');
    if (encryption.algorithm !== undefined && encryption.algorithm !== 'AES-GCM')
      fail('encryption.algorithm: only AES-GCM is supported');
    if (
      encryption.keySize !== undefined &&
      encryption.keySize !== 128 &&
      encryption.keySize !== 256
    )
      fail('encryption.keySize must be 128 or 256');
    if (encryption.iterations !== undefined && !validIterations(encryption.iterations))
      fail('encryption.iterations must be an integer from 600,000 to 10,000,000');
  }

  const ttl = options.ttl ?? {};
  if (typeof ttl !== 'object' || ttl === null) fail('ttl must be an object');
  if (ttl.default !== undefined && !isValidTtl(ttl.default))
    fail('ttl.default must be a positive number of milliseconds');
  assertOptional(ttl.sliding, 'boolean', 'ttl.sliding');
  const cleanupInterval = ttl.cleanupInterval ?? 60_000;
  if (
    typeof cleanupInterval !== 'number' ||
    !Number.isFinite(cleanupInterval) ||
    cleanupInterval < 0
  )
    fail('ttl.cleanupInterval must be a number of milliseconds ≥ 0');

  const sync = options.sync;
  if (
    sync !== undefined &&
    (typeof sync !== 'object' || sync === null || typeof sync.enabled !== 'boolean')
  )
    fail('sync must be { enabled: boolean, … }');
  if (
    sync?.broadcastChannel !== undefined &&
    (typeof sync.broadcastChannel !== 'string' || sync.broadcastChannel === '')
  )
    fail('sync.broadcastChannel must be a non-empty string');
  if (sync?.fallback !== undefined && typeof sync.fallback !== 'function')
    fail(
      'sync.fallback must be a function opening a channel (see strata-storage/broadcast-channel)',
    );

  const idbOpenTimeout = options.idbOpenTimeout ?? 3_000;
  if (!isValidTtl(idbOpenTimeout)) fail('idbOpenTimeout must be a positive number of milliseconds');
  assertOptional(options.clock, 'function', 'clock');
  if (
    options.timers !== undefined &&
    (typeof options.timers !== 'object' || options.timers === null)
  )
    fail('timers must be an object');
  assertOptional(options.persist, 'boolean', 'persist');
  assertOptional(options.onError, 'function', 'onError');

  const encryptByDefault = encryption?.enabled === true || defaultStorage === 'secure';
  return {
    namespace,
    chain,
    encryption,
    encryptByDefault,
    keyed:
      encryptByDefault ||
      encryption?.password !== undefined ||
      encryption?.key !== undefined ||
      encryption?.wrappingKey !== undefined,
    ttlDefault: ttl.default,
    slidingDefault: ttl.sliding ?? false,
    cleanupInterval,
    sync: sync?.enabled
      ? { channel: sync.broadcastChannel ?? `strata:${namespace}`, fallback: sync.fallback }
      : undefined,
    idbOpenTimeout,
    timers: resolveTimers(options),
    persist: options.persist ?? false,
    onError: options.onError,
  };
}

/** Validates `set` options (`encrypt: false` is refused where every item is encrypted). */
export function assertSetOptions(options: SetOptions, encryptByDefault = false): void {
  if (typeof options !== 'object' || options === null) fail('set options must be an object');
  if (options.encrypt === false && encryptByDefault)
    fail(
      'encrypt: false in an encrypted namespace (a clear item there reads as a downgrade); use another namespace for clear items',
    );
  if (options.ttl !== undefined && !isValidTtl(options.ttl))
    fail('ttl must be a positive number of milliseconds');
  assertOptional(options.sliding, 'boolean', 'sliding');
  assertOptional(options.encrypt, 'boolean', 'encrypt');
  if (options.tags !== undefined) assertTags(options.tags);
}

/** Validates a `clear` filter. */
export function assertClearFilter(filter: ClearFilter): void {
  if (typeof filter !== 'object' || filter === null) fail('the clear filter must be an object');
  assertOptional(filter.prefix, 'string', 'clear prefix');
  if (filter.tags !== undefined) assertTags(filter.tags);
}

function assertTags(tags: unknown): asserts tags is string[] {
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string' && tag !== ''))
    fail('tags must be an array of non-empty strings');
}

/** `INVALID_OPTIONS` unless `value` is absent or of `type`. */
function assertOptional(value: unknown, type: 'boolean' | 'string' | 'function', name: string) {
  if (value !== undefined && typeof value !== type) fail(`${name} must be a ${type}`);
}

function assertKind(kind: unknown, name: string): asserts kind is StorageKind {
  if (!STORAGE_KINDS.includes(kind as StorageKind))
    fail(`${name} must be one of ${STORAGE_KINDS.join(', ')}; got ${String(kind)}`);
}

function fail(message: string): never {
  throw new StrataError('INVALID_OPTIONS', `Invalid option: ${message}.`);
}
