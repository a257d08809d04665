import { StrataError } from '../errors.js';
import { base64ToBytes, bytesToBase64 } from '../codec/base64.js';

const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * AES-GCM with a fresh random 96-bit IV per message. Each ciphertext is bound to its
 * namespace and record key through the additional data, so a record copied to another
 * key, namespace or encryption key fails to decrypt (what a record binds beside them:
 * crypto/sealed-record.ts).
 */
export class Cipher {
  readonly #key: CryptoKey;
  readonly #namespace: string;

  constructor(key: CryptoKey, namespace: string) {
    this.#key = key;
    this.#namespace = namespace;
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

  /**
   * A cipher under a key derived from this one for cross-tab messages, so a message
   * never decrypts as a record (or the reverse) and the derived key changes with a rotation.
   */
  async channel(): Promise<Cipher> {
    const iv = new Uint8Array(IV_BYTES);
    iv[IV_BYTES - 1] = 1; // not the IV the tag key of earlier versions was derived with
    const stream = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv },
      this.#key,
      encoder.encode(`strata channel key v1\u0000${this.#namespace}`.padEnd(32, '\u0000')),
    );
    const key = await crypto.subtle.importKey('raw', stream.slice(0, 32), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    return new Cipher(key, this.#namespace);
  }

  #aad(context: string): Uint8Array<ArrayBuffer> {
    return encoder.encode(`strata/1\u0000${this.#namespace}\u0000${context}`);
  }
}
