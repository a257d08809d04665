import type { StorageAdapter } from '../adapters/adapter.js';
import { StrataError } from '../errors.js';
import { withLock } from '../sync/lock.js';
import type { EncryptionOptions } from '../types.js';
import { Cipher } from './cipher.js';
import { derivePasswordKey, deviceKey, MIN_PBKDF2_ITERATIONS, newSalt, saltBytes } from './keys.js';

/** What a namespace keeps beside its records so a key can be re-derived and checked. */
interface KeyMeta {
  v: 1;
  mode: 'password' | 'key' | 'device';
  salt?: string;
  iterations?: number;
  /** A constant encrypted under the key: decrypting it proves the key right. */
  verifier: string;
}

const META_NAME = 'keys';
const VERIFIER_TEXT = 'strata-storage key verifier';
const VERIFIER_CONTEXT = '#verifier';

/**
 * Resolves the instance's cipher once: derives or loads the key (never per write), then
 * checks it against the verifier stored with the namespace. A wrong password rejects with
 * `WRONG_PASSWORD`, a wrong caller key with `WRONG_KEY`. A lost device key, or a verifier
 * gone while encrypted records remain, is reported as `KEY_LOST` (data under the old key
 * reads as null) and a new key is set up, without touching any record.
 */
export async function setupCipher(
  namespace: string,
  encryption: EncryptionOptions,
  layers: readonly StorageAdapter[],
  report: (error: StrataError) => void,
): Promise<Cipher> {
  const keySize = encryption.keySize ?? 256;
  return withLock(`strata-keys:${namespace}`, async () => {
    const meta = await readMeta(layers);
    if (encryption.password !== undefined) {
      const iterations = Math.max(meta?.mode === 'password' ? meta.iterations ?? 0 : 0, encryption.iterations ?? MIN_PBKDF2_ITERATIONS);
      if (meta?.mode === 'password' && meta.salt) {
        const cipher = new Cipher(await derivePasswordKey(encryption.password, saltBytes(meta.salt), meta.iterations ?? iterations, keySize), namespace);
        if (!(await verifies(cipher, meta))) {
          throw new StrataError('WRONG_PASSWORD', 'The password does not match the one this namespace was encrypted with.');
        }
        return cipher;
      }
      const salt = newSalt();
      const cipher = new Cipher(await derivePasswordKey(encryption.password, saltBytes(salt), iterations, keySize), namespace);
      await startOver(layers, cipher, { v: 1, mode: 'password', salt, iterations, verifier: '' }, meta, report);
      return cipher;
    }
    if (encryption.key !== undefined) {
      const cipher = new Cipher(encryption.key, namespace);
      if (meta?.mode === 'key') {
        if (!(await verifies(cipher, meta))) throw new StrataError('WRONG_KEY', 'The encryption key does not match the one this namespace was encrypted with.');
        return cipher;
      }
      await startOver(layers, cipher, { v: 1, mode: 'key', verifier: '' }, meta, report);
      return cipher;
    }
    const { key } = await deviceKey(namespace, keySize);
    const cipher = new Cipher(key, namespace);
    if (meta?.mode === 'device' && (await verifies(cipher, meta))) return cipher;
    await startOver(layers, cipher, { v: 1, mode: 'device', verifier: '' }, meta, report);
    return cipher;
  });
}

/** Reads the key metadata from the first layer that has a well-formed copy. */
async function readMeta(layers: readonly StorageAdapter[]): Promise<KeyMeta | undefined> {
  for (const layer of layers) {
    try {
      const text = await layer.readMeta(META_NAME);
      if (text === undefined) continue;
      const meta = JSON.parse(text) as Partial<KeyMeta>;
      if (meta.v === 1 && typeof meta.verifier === 'string' && typeof meta.mode === 'string') return meta as KeyMeta;
    } catch {
      // unreadable layer or malformed copy: try the next one
    }
  }
  return undefined;
}

async function verifies(cipher: Cipher, meta: KeyMeta): Promise<boolean> {
  try {
    return (await cipher.decrypt(meta.verifier, VERIFIER_CONTEXT)) === VERIFIER_TEXT;
  } catch {
    return false;
  }
}

/** Writes fresh metadata to every layer; reports `KEY_LOST` when encrypted data may be orphaned. */
async function startOver(
  layers: readonly StorageAdapter[],
  cipher: Cipher,
  meta: KeyMeta,
  previous: KeyMeta | undefined,
  report: (error: StrataError) => void,
): Promise<void> {
  const orphaned = previous !== undefined || (await hasEncryptedRecords(layers));
  if (orphaned) {
    report(new StrataError('KEY_LOST', 'The key this namespace was encrypted with is gone or its metadata is missing; items encrypted before read as null.'));
  }
  const text = JSON.stringify({ ...meta, verifier: await cipher.encrypt(VERIFIER_TEXT, VERIFIER_CONTEXT) });
  await Promise.all(layers.map((layer) => layer.writeMeta(META_NAME, text).catch(() => undefined)));
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
