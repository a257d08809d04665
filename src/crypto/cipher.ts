import { StrataError } from '../errors.js';
import { base64ToBytes, bytesToBase64 } from '../codec/base64.js';

const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * AES-GCM with a fresh random 96-bit IV per message. Each ciphertext is bound to its
 * namespace and record key through the additional data, so a record copied to another
 * key, namespace or encryption key fails to decrypt. Tags are never stored: only keyed
 * HMAC-SHA-256 hashes of them, so `clear({ tags })` works without decrypting values.
 */
export class Cipher {
  readonly #key: CryptoKey;
  readonly #namespace: string;
  readonly #tagSecret: Promise<Uint8Array<ArrayBuffer>>;
  readonly #tagKey: Promise<CryptoKey>;
  readonly #tagHashes = new Map<string, Promise<string>>();

  /**
   * `tagSecret` (32 bytes) fixes the tag-hash key; without it the key is derived from `key`
   * ({@link tagSecretOf}). A rotated key keeps the namespace's tag secret, so stored tag
   * hashes stay valid across rotations.
   */
  constructor(key: CryptoKey, namespace: string, tagSecret?: Uint8Array<ArrayBuffer>) {
    this.#key = key;
    this.#namespace = namespace;
    this.#tagSecret = tagSecret ? Promise.resolve(tagSecret) : tagSecretOf(key, namespace);
    this.#tagKey = this.#tagSecret.then(importTagKey);
    this.#tagKey.catch(() => undefined); // surfaced by tagHash when used
  }

  /** The raw tag secret, for carrying it over to a rotated key (kept wrapped in the key metadata). */
  tagSecret(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#tagSecret;
  }

  /** Encrypts `plain`, returning base64 of IV ‖ ciphertext. */
  async encrypt(plain: string, context: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: this.#aad(context) },
      this.#key,
      encoder.encode(plain),
    );
    const out = new Uint8Array(IV_BYTES + sealed.byteLength);
    out.set(iv, 0);
    out.set(new Uint8Array(sealed), IV_BYTES);
    return bytesToBase64(out);
  }

  /** Decrypts {@link encrypt} output; throws `DECRYPT_FAILED` on a wrong key, tampering or truncation. */
  async decrypt(sealed: string, context: string): Promise<string> {
    try {
      const bytes = base64ToBytes(sealed);
      if (bytes.length < IV_BYTES + 16) throw new Error('truncated');
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: this.#aad(context) },
        this.#key,
        bytes.subarray(IV_BYTES),
      );
      return decoder.decode(plain);
    } catch (cause) {
      throw new StrataError(
        'DECRYPT_FAILED',
        'A stored record could not be decrypted (wrong key, tampered or truncated); it reads as null.',
        { cause },
      );
    }
  }

  /** Keyed hash of a tag, stable for this key and namespace (`#` + 22 base64 characters). */
  tagHash(tag: string): Promise<string> {
    let hash = this.#tagHashes.get(tag);
    if (!hash) {
      hash = this.#tagKey.then(async (tagKey) => {
        const mac = await crypto.subtle.sign(
          'HMAC',
          tagKey,
          encoder.encode(`${this.#namespace}\u0000${tag}`),
        );
        return `#${bytesToBase64(new Uint8Array(mac, 0, 16)).slice(0, 22)}`;
      });
      this.#tagHashes.set(tag, hash);
    }
    return hash;
  }

  /**
   * A cipher under a key derived from this one for cross-tab messages, so a message
   * never decrypts as a record (or the reverse) and the derived key changes with a rotation.
   */
  async channel(): Promise<Cipher> {
    const iv = new Uint8Array(IV_BYTES);
    iv[IV_BYTES - 1] = 1; // not the tag-key derivation's IV: the two keystreams stay independent
    const stream = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv },
      this.#key,
      encoder.encode(`strata channel key v1\u0000${this.#namespace}`.padEnd(32, '\u0000')),
    );
    const key = await crypto.subtle.importKey('raw', stream.slice(0, 32), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    return new Cipher(key, this.#namespace, new Uint8Array(32));
  }

  #aad(context: string): Uint8Array<ArrayBuffer> {
    return encoder.encode(`strata/1\u0000${this.#namespace}\u0000${context}`);
  }
}

/**
 * Derives the tag-hash key from the AES key itself, so it works for password, device and
 * caller keys alike (a caller's key may be non-extractable): AES-GCM of a fixed block
 * under a fixed IV is a pseudo-random function of the key. That IV is used for this one
 * constant only; data IVs are random 96-bit values.
 */
async function tagSecretOf(key: CryptoKey, namespace: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: new Uint8Array(IV_BYTES) },
    key,
    encoder.encode(`strata tag key v1\u0000${namespace}`.padEnd(32, '\u0000')),
  );
  return new Uint8Array(stream.slice(0, 32));
}

function importTagKey(secret: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}
