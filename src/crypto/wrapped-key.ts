import { base64ToBytes, bytesToBase64 } from '../codec/base64.js';
import { StrataError } from '../errors.js';

// `encryption.wrappingKey`: the namespace's data key is a random AES-GCM key whose bytes are
// stored only wrapped by a key the browser never persists (the app fetches it from its
// server after sign-in). A copy of the profile, without that key, decrypts nothing.

const IV_BYTES = 12;
const DATA_KEY_USAGES: KeyUsage[] = ['encrypt', 'decrypt'];

/**
 * Calls the application's `wrappingKey()` and checks what it resolves to: an AES-KW or
 * AES-GCM `CryptoKey` with the `wrapKey` and `unwrapKey` usages (`INVALID_OPTIONS`
 * otherwise). A rejection becomes `WRAPPING_KEY_UNAVAILABLE` (the app's error as `cause`;
 * transient: the next call asks again).
 */
export async function fetchWrappingKey(get: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key: unknown;
  try {
    key = await get();
  } catch (cause) {
    throw new StrataError(
      'WRAPPING_KEY_UNAVAILABLE',
      'encryption.wrappingKey() rejected: the namespace key cannot be opened without the wrapping key.',
      { cause },
    );
  }
  if (
    typeof CryptoKey === 'undefined' ||
    !(key instanceof CryptoKey) ||
    (key.algorithm.name !== 'AES-KW' && key.algorithm.name !== 'AES-GCM') ||
    !key.usages.includes('wrapKey') ||
    !key.usages.includes('unwrapKey')
  ) {
    throw new StrataError(
      'INVALID_OPTIONS',
      'Invalid option: encryption.wrappingKey() must resolve to an AES-KW or AES-GCM CryptoKey with the wrapKey and unwrapKey usages.',
    );
  }
  return key;
}

/** A fresh random data key, wrapped by `wrapping` for storage, and its non-extractable copy for use. */
export async function newWrappedKey(
  wrapping: CryptoKey,
  namespace: string,
  keySize: 128 | 256,
): Promise<{ key: CryptoKey; wrapped: string }> {
  // Extractable only so it can be wrapped; this object is dropped, the one used is re-imported non-extractable.
  const fresh = await crypto.subtle.generateKey(
    { name: 'AES-GCM', length: keySize },
    true,
    DATA_KEY_USAGES,
  );
  const params = wrapParams(wrapping, namespace);
  const sealed = new Uint8Array(await crypto.subtle.wrapKey('raw', fresh, wrapping, params.alg));
  const stored = new Uint8Array(params.iv.length + sealed.length);
  stored.set(params.iv, 0);
  stored.set(sealed, params.iv.length);
  const wrapped = bytesToBase64(stored);
  const key = await unwrapDataKey(wrapping, namespace, wrapped);
  if (!key) throw new StrataError('CRYPTO_UNAVAILABLE', 'A new data key did not unwrap.');
  return { key, wrapped };
}

/**
 * The data key `wrapped` holds, unwrapped by `wrapping` (non-extractable unless
 * `extractable`, used only to hand the old key over to a rotation), or undefined when
 * `wrapping` is not the key it was wrapped with.
 */
export async function unwrapDataKey(
  wrapping: CryptoKey,
  namespace: string,
  wrapped: string,
  extractable = false,
): Promise<CryptoKey | undefined> {
  try {
    const bytes = base64ToBytes(wrapped);
    const ivLength = wrapping.algorithm.name === 'AES-GCM' ? IV_BYTES : 0;
    const params = wrapParams(wrapping, namespace, bytes.slice(0, ivLength));
    return await crypto.subtle.unwrapKey(
      'raw',
      bytes.slice(ivLength),
      wrapping,
      params.alg,
      { name: 'AES-GCM' },
      extractable,
      DATA_KEY_USAGES,
    );
  } catch {
    return undefined;
  }
}

/** The wrap algorithm of `wrapping`: AES-KW, or AES-GCM with a random IV and the namespace as additional data. */
function wrapParams(
  wrapping: CryptoKey,
  namespace: string,
  iv = crypto.getRandomValues(new Uint8Array(IV_BYTES)),
): { alg: AlgorithmIdentifier | AesGcmParams; iv: Uint8Array<ArrayBuffer> } {
  if (wrapping.algorithm.name === 'AES-KW') return { alg: 'AES-KW', iv: new Uint8Array(0) };
  const additionalData = new TextEncoder().encode(`strata/1\u0000${namespace}\u0000#data-key`);
  return { alg: { name: 'AES-GCM', iv, additionalData }, iv };
}
