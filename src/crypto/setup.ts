import type { StorageAdapter } from '../adapters/adapter.js';
import { base64ToBytes } from '../codec/base64.js';
import { StrataError, toStorageError } from '../errors.js';
import { withLock } from '../sync/lock.js';
import { Cipher } from './cipher.js';
import { KeyRing } from './keyring.js';
import { checkMeta, refuse } from './meta-check.js';
import { META_NAME } from './meta-copies.js';
import { derivePasswordKey, deviceKey, existingDeviceKey, newSalt, saltBytes } from './keys.js';
import type { KeySecret } from './secret.js';
import { fetchWrappingKey, newWrappedKey, unwrapDataKey } from './wrapped-key.js';

/** One key of a namespace as its metadata describes it: how to re-derive it and how to check it. */
export interface KeySlot {
  mode: 'password' | 'key' | 'device' | 'wrapped';
  salt?: string;
  iterations?: number;
  /** `wrapped` mode: the data key's bytes wrapped by the application's wrapping key (never stored unwrapped). */
  wrapped?: string;
  /** A constant encrypted under the key: decrypting it proves the key right. */
  verifier: string;
  /** Key generation; absent means 1. */
  gen?: number;
  /**
   * Legacy: the tag secret encrypted under this key, as earlier versions stored it (generation
   * 2 on). Tolerated, never read nor written: sealed records carry their tags inside.
   */
  tags?: string;
}

/** A rotation begun and not yet committed. */
export interface PendingSlot extends KeySlot {
  gen: number;
  /**
   * Legacy: the new key under the old one, as earlier versions wrote it (it let the old
   * password learn the new key). Used to finish such a rotation, never written.
   */
  wrappedNew?: string;
  /** The old key's bytes encrypted under the new key, when they could be exported (safe: the new secret opens the old key only). */
  wrappedOld?: string;
}

/** What a namespace keeps beside its records (nothing secret). */
export interface KeyMeta extends KeySlot {
  v: 1;
  next?: PendingSlot;
}

const VERIFIER_TEXT = 'strata-storage key verifier';
const VERIFIER_CONTEXT = '#verifier';
/** Key metadata is a few hundred bytes; a larger copy is refused before it is parsed. */
const MAX_META_TEXT = 16_384;

/** Name of the cross-tab lock every key change of a namespace runs under. */
export function keyLockName(namespace: string): string {
  return `strata-keys:${namespace}`;
}

/**
 * Resolves the instance's key ring once: derives or loads the key (never per write), then
 * checks it against the verifier stored with the namespace. A wrong password rejects with
 * `WRONG_PASSWORD`, a wrong caller key with `WRONG_KEY`; a key of a namespace rotated since
 * (generation 2 on) with `KEY_ROTATED`. A lost device key, or a verifier gone while
 * encrypted records remain, is reported as `KEY_LOST` (data under the old key reads as
 * null) and a new key is set up, without touching any record. After an interrupted
 * rotation, the new secret opens the namespace and finishes it (the old key is unwrapped
 * from the pending metadata when it could be exported); the old secret still reads the
 * items of the old generation but never learns the new key: its encrypted writes are
 * refused with `KEY_ROTATED`. Metadata outside the bounds this SDK writes rejects with
 * `CORRUPT_RECORD` at once, and nothing is rewritten.
 */
export async function setupKeyRing(
  namespace: string,
  configured: KeySecret,
  layers: readonly StorageAdapter[],
  report: (error: StrataError) => void,
  dataLayers: readonly StorageAdapter[] = layers,
): Promise<KeyRing> {
  // Fetched before the lock: a wrappingKey() that never settles must not hold the other tabs up.
  const secret = await resolveSecret(configured);
  return withLock(keyLockName(namespace), async () => {
    const meta = await readMeta(layers);
    if (meta) {
      const ring = await openRing(namespace, meta, secret);
      if (ring) return ring;
      const modes = [meta.mode, meta.next?.mode];
      if (secret.kind === 'password' && modes.includes('password')) {
        throw new StrataError(
          'WRONG_PASSWORD',
          'The password does not match the one this namespace was encrypted with.',
        );
      }
      if ((secret.kind === 'key' || secret.kind === 'wrapped') && modes.includes(secret.kind)) {
        throw new StrataError(
          'WRONG_KEY',
          'The encryption key does not match the one this namespace was encrypted with.',
        );
      }
      if ((meta.gen ?? 1) > 1) {
        throw new StrataError(
          'KEY_ROTATED',
          'This namespace was re-keyed with a password or key; open it with that password or key.',
        );
      }
      if (!modes.includes(secret.kind)) {
        // Another kind of secret never starts over: that would throw away a password's salt.
        const [code, what] =
          meta.mode === 'password'
            ? (['WRONG_PASSWORD', 'a password'] as const)
            : ([
                'WRONG_KEY',
                meta.mode === 'key'
                  ? 'a caller key'
                  : meta.mode === 'wrapped'
                    ? 'a wrapping key'
                    : "this device's key",
              ] as const);
        throw new StrataError(
          code,
          `This namespace is encrypted with ${what}; open it with the same kind of secret (rotateKey() changes it).`,
        );
      }
    }
    const fresh = await createSlot(namespace, secret, 1);
    await startOver(layers, fresh.slot, meta, report, dataLayers);
    return new KeyRing(1, fresh.cipher);
  });
}

/** A ring for `meta` opened with `secret` (the current key, or the pending one), or undefined. */
async function openRing(
  namespace: string,
  meta: KeyMeta,
  secret: KeySecret,
): Promise<KeyRing | undefined> {
  const gen = meta.gen ?? 1;
  const current = await openSlot(namespace, meta, secret);
  if (current) {
    const ring = new KeyRing(gen, current);
    if (meta.next) {
      // Only metadata of an earlier version holds the new key under the old one.
      const next = await unwrapSlot(
        namespace,
        meta.next,
        current,
        meta.next.wrappedNew,
        '#next-key',
      );
      if (next) ring.add(meta.next.gen, next, true);
      // The old secret reads what the old key sealed; what it would write, the old secret would open.
      else ring.markStale(meta.next.gen);
    }
    return ring;
  }
  if (!meta.next) return undefined;
  const next = await openSlot(namespace, meta.next, secret);
  if (!next) return undefined;
  const ring = new KeyRing(meta.next.gen, next);
  // A device key cannot be exported, so it was not wrapped: the keyring still holds it.
  const old =
    (await unwrapSlot(namespace, meta, next, meta.next.wrappedOld, '#prev-key')) ??
    (meta.mode === 'device' ? await keptDeviceCipher(namespace, meta) : undefined);
  if (old) ring.add(gen, old, false);
  return ring;
}

/** The cipher of a device slot from the key the keyring still holds (none is created). */
async function keptDeviceCipher(namespace: string, slot: KeySlot): Promise<Cipher | undefined> {
  const key = await existingDeviceKey(namespace).catch(() => undefined);
  return key && cipherForSlot(namespace, key, slot);
}

/** The cipher of a slot when `secret` opens it. */
export async function openSlot(
  namespace: string,
  slot: KeySlot,
  secret: KeySecret,
): Promise<Cipher | undefined> {
  if (slot.mode !== secret.kind) return undefined;
  let key: CryptoKey;
  if (secret.kind === 'password') {
    if (!slot.salt) return undefined;
    key = await derivePasswordKey(
      secret.password,
      saltBytes(slot.salt),
      slot.iterations ?? secret.iterations,
      secret.keySize,
    );
  } else if (secret.kind === 'key') {
    key = secret.key;
  } else if (secret.kind === 'wrapped') {
    if (!slot.wrapped) return undefined;
    const unwrapped = await unwrapDataKey(await wrappingKeyOf(secret), namespace, slot.wrapped);
    if (!unwrapped) return undefined;
    key = unwrapped;
  } else {
    key = (await deviceKey(namespace, secret.keySize)).key;
  }
  return cipherForSlot(namespace, key, slot);
}

/** `secret` with its wrapping key fetched (a `wrapped` secret not yet resolved); other kinds as they are. */
async function resolveSecret(secret: KeySecret): Promise<KeySecret> {
  if (secret.kind !== 'wrapped' || secret.resolved) return secret;
  return { ...secret, resolved: await fetchWrappingKey(secret.wrappingKey) };
}

/** The wrapping key of a `wrapped` secret: the one fetched for this set-up, or a fresh call. */
function wrappingKeyOf(secret: Extract<KeySecret, { kind: 'wrapped' }>): Promise<CryptoKey> {
  return secret.resolved ? Promise.resolve(secret.resolved) : fetchWrappingKey(secret.wrappingKey);
}

/** Whether `cipher`'s key is the one `slot` describes (its verifier decrypts). */
export async function opensSlot(cipher: Cipher, slot: KeySlot): Promise<boolean> {
  return (
    (await cipher.decrypt(slot.verifier, VERIFIER_CONTEXT).catch(() => undefined)) === VERIFIER_TEXT
  );
}

/** The cipher of `key` when it opens `slot` (its verifier decrypts). */
async function cipherForSlot(
  namespace: string,
  key: CryptoKey,
  slot: KeySlot,
): Promise<Cipher | undefined> {
  const cipher = new Cipher(key, namespace);
  // A legacy tag secret (`slot.tags`) is neither needed nor read: sealed records carry their tags.
  return (await opensSlot(cipher, slot)) ? cipher : undefined;
}

async function unwrapSlot(
  namespace: string,
  slot: KeySlot,
  by: Cipher,
  wrapped: string | undefined,
  context: string,
): Promise<Cipher | undefined> {
  if (wrapped === undefined) return undefined;
  try {
    const raw = base64ToBytes(await by.decrypt(wrapped, context));
    const key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ]);
    raw.fill(0);
    return await cipherForSlot(namespace, key, slot);
  } catch {
    return undefined;
  }
}

/**
 * A new key for `secret` at generation `gen`: its slot (fresh salt for a password, the
 * wrapped data key for a wrapping key) and cipher. No tag secret is created: sealed records
 * carry their tags inside the ciphertext.
 */
export async function createSlot(
  namespace: string,
  secret: KeySecret,
  gen: number,
): Promise<{ slot: KeySlot; cipher: Cipher }> {
  let key: CryptoKey;
  const slot: KeySlot = { mode: secret.kind, verifier: '' };
  if (secret.kind === 'password') {
    slot.salt = newSalt();
    slot.iterations = secret.iterations;
    key = await derivePasswordKey(
      secret.password,
      saltBytes(slot.salt),
      secret.iterations,
      secret.keySize,
    );
  } else if (secret.kind === 'key') {
    key = secret.key;
  } else if (secret.kind === 'wrapped') {
    const fresh = await newWrappedKey(await wrappingKeyOf(secret), namespace, secret.keySize);
    slot.wrapped = fresh.wrapped;
    key = fresh.key;
  } else {
    key = (await deviceKey(namespace, secret.keySize)).key;
  }
  const cipher = new Cipher(key, namespace);
  slot.verifier = await cipher.encrypt(VERIFIER_TEXT, VERIFIER_CONTEXT);
  if (gen > 1) slot.gen = gen;
  return { slot, cipher };
}

/** The bytes of the key `secret` opens `slot` with, when they can be exported (never for a device key). */
export async function exportSlotKey(
  namespace: string,
  slot: KeySlot,
  secret: KeySecret,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (secret.kind === 'wrapped' && slot.mode === 'wrapped' && slot.wrapped) {
    const wrapping = await wrappingKeyOf(secret);
    const key = await unwrapDataKey(wrapping, namespace, slot.wrapped, true);
    return key && new Uint8Array(await crypto.subtle.exportKey('raw', key));
  }
  if (secret.kind === 'password' && slot.mode === 'password' && slot.salt) {
    const key = await derivePasswordKey(
      secret.password,
      saltBytes(slot.salt),
      slot.iterations ?? secret.iterations,
      secret.keySize,
      true,
    );
    return new Uint8Array(await crypto.subtle.exportKey('raw', key));
  }
  if (secret.kind === 'key' && secret.key.extractable)
    return new Uint8Array(await crypto.subtle.exportKey('raw', secret.key));
  return undefined;
}

/**
 * Reads the key metadata from the first layer that has a well-formed copy. When none has
 * one and a layer failed to answer, it rejects (`STORAGE_UNAVAILABLE`) instead of reporting
 * "no metadata": a new key set up over metadata that could not be read would lose the data.
 * A copy outside the bounds this SDK writes throws `CORRUPT_RECORD` at once ({@link checkMeta}).
 */
export async function readMeta(layers: readonly StorageAdapter[]): Promise<KeyMeta | undefined> {
  let failure: unknown;
  for (const layer of layers) {
    let text: string | undefined;
    try {
      text = await layer.readMeta(META_NAME);
    } catch (error) {
      failure ??= error;
      continue;
    }
    if (text === undefined) continue;
    if (text.length > MAX_META_TEXT) refuse('size');
    let meta: Partial<KeyMeta> | undefined;
    try {
      meta = JSON.parse(text) as Partial<KeyMeta>;
    } catch {
      continue; // a malformed copy: try the next layer
    }
    if (meta?.v === 1 && typeof meta.verifier === 'string' && typeof meta.mode === 'string') {
      checkMeta(meta as Record<string, unknown>);
      return meta as KeyMeta;
    }
  }
  if (failure !== undefined) throw toStorageError(failure, 'Reading the key metadata');
  return undefined;
}

/**
 * Writes the key metadata to every layer, then reads it back: it must be what every later
 * open reads (the first copy). Otherwise it rejects (`QUOTA_EXCEEDED` or
 * `STORAGE_UNAVAILABLE`) before anything relies on it: a rotation whose metadata a full
 * localStorage refused would otherwise orphan the data at reload.
 */
export async function writeMeta(layers: readonly StorageAdapter[], meta: KeyMeta): Promise<void> {
  const text = JSON.stringify(meta);
  const results = await Promise.allSettled(layers.map((layer) => layer.writeMeta(META_NAME, text)));
  const readBack = await readMeta(layers).catch(() => undefined);
  if (readBack !== undefined && JSON.stringify(readBack) === text) return;
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  throw failure
    ? toStorageError(failure.reason, 'Storing the key metadata')
    : new StrataError('STORAGE_UNAVAILABLE', 'The key metadata did not read back as written.');
}

/** Writes fresh metadata to every layer; reports `KEY_LOST` when encrypted data (in `dataLayers`) may be orphaned. */
async function startOver(
  layers: readonly StorageAdapter[],
  slot: KeySlot,
  previous: KeyMeta | undefined,
  report: (error: StrataError) => void,
  dataLayers: readonly StorageAdapter[],
): Promise<void> {
  const orphaned = previous !== undefined || (await hasEncryptedRecords(dataLayers));
  if (orphaned) {
    report(
      new StrataError(
        'KEY_LOST',
        'The key this namespace was encrypted with is gone or its metadata is missing; items encrypted before read as null.',
      ),
    );
  }
  await writeMeta(layers, { v: 1, ...slot });
}

/** Once per setup without metadata: is there ciphertext that the new key will not open? */
async function hasEncryptedRecords(layers: readonly StorageAdapter[]): Promise<boolean> {
  for (const layer of layers) {
    try {
      for (const key of await layer.allKeys()) {
        if ((await layer.read(key).catch(() => undefined))?.x === 1) return true;
      }
    } catch {
      // a broken layer holds nothing we can read
    }
  }
  return false;
}
