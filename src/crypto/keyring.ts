import { StrataError } from '../errors.js';
import type { Cipher } from './cipher.js';

/**
 * The keys one instance holds for its namespace, by generation. A namespace starts at
 * generation 1; each {@link Strata.rotateKey} adds one. Ciphertext of generation 1 is
 * plain base64 (the format before rotation existed); later generations are written as
 * `<gen>.<base64>` (`.` is not a base64 character), so a reader picks the key the record
 * names instead of guessing. While a rotation is pending the ring holds both the old and
 * the new key and writes with the new one.
 */
export class KeyRing {
  readonly #ciphers = new Map<number, Cipher>();
  readonly #channels = new Map<number, Promise<Cipher>>();
  #writeGen: number;
  /** A generation announced by another tab that this ring does not hold. */
  #staleFor: number | undefined;

  constructor(gen: number, cipher: Cipher) {
    this.#writeGen = gen;
    this.#ciphers.set(gen, cipher);
  }

  /** The generation new ciphertext is written with. */
  get generation(): number {
    return this.#writeGen;
  }

  /** The cipher of a generation, when held. */
  cipherOf(gen: number): Cipher | undefined {
    return this.#ciphers.get(gen);
  }

  /** Adds a generation's key; with `write`, new ciphertext uses it. */
  add(gen: number, cipher: Cipher, write: boolean): void {
    this.#ciphers.set(gen, cipher);
    if (write) this.#writeGen = gen;
    if (this.#staleFor !== undefined && gen >= this.#staleFor) this.#staleFor = undefined;
  }

  /** Keeps only the write generation: the older keys are forgotten. */
  retireOthers(): void {
    for (const gen of [...this.#ciphers.keys()])
      if (gen !== this.#writeGen) {
        this.#ciphers.delete(gen);
        this.#channels.delete(gen);
      }
  }

  /**
   * Marks the ring as behind another tab's rotation to `gen`: encrypting fails with `KEY_ROTATED`.
   * True when that is news (a newer generation than it knew to be behind).
   */
  markStale(gen: number): boolean {
    if (this.#ciphers.has(gen) || gen <= Math.max(this.#writeGen, this.#staleFor ?? 0))
      return false;
    this.#staleFor = gen;
    return true;
  }

  /** Whether another tab's rotation left this ring behind (see {@link markStale}). */
  get stale(): boolean {
    return this.#staleFor !== undefined;
  }

  /** Encrypts with the write generation's key. */
  async encrypt(plain: string, context: string): Promise<string> {
    if (this.#staleFor !== undefined) throw keyRotated(this.#staleFor);
    const sealed = await (this.#ciphers.get(this.#writeGen) as Cipher).encrypt(plain, context);
    return sealRef(this.#writeGen, sealed);
  }

  /** Decrypts with the key of the generation the ciphertext names. */
  decrypt(sealed: string, context: string): Promise<string> {
    const { gen, body } = parseSealed(sealed);
    const cipher = this.#ciphers.get(gen);
    if (cipher) return cipher.decrypt(body, context);
    if (gen > this.#writeGen) return Promise.reject(keyRotated(gen));
    return Promise.reject(
      new StrataError(
        'DECRYPT_FAILED',
        'A stored record was encrypted with a key this namespace no longer holds; it reads as null.',
      ),
    );
  }

  /** Seals a cross-tab message under the write generation's channel key: `<gen>:<base64>`. */
  async sealMessage(text: string, context: string): Promise<string> {
    if (this.#staleFor !== undefined) throw keyRotated(this.#staleFor);
    const gen = this.#writeGen;
    return `${gen}:${await (await this.#channel(gen)).encrypt(text, context)}`;
  }

  /** Opens {@link sealMessage} output with the channel key of the generation it names. */
  async openMessage(sealed: string, context: string): Promise<string> {
    const colon = sealed.indexOf(':');
    const gen = Number(sealed.slice(0, colon));
    if (colon > 0 && gen > this.#writeGen && this.#staleFor !== undefined) throw keyRotated(gen);
    if (colon <= 0 || !this.#ciphers.has(gen))
      throw new StrataError(
        'DECRYPT_FAILED',
        'A cross-tab message is sealed with a key not held here.',
      );
    return (await this.#channel(gen)).decrypt(sealed.slice(colon + 1), context);
  }

  #channel(gen: number): Promise<Cipher> {
    let channel = this.#channels.get(gen);
    if (!channel) {
      channel = (this.#ciphers.get(gen) as Cipher).channel();
      this.#channels.set(gen, channel);
    }
    return channel;
  }
}

/** The generation a ciphertext was written with (1 for unprefixed ciphertext). */
export function generationOf(sealed: string): number {
  return parseSealed(sealed).gen;
}

function sealRef(gen: number, sealed: string): string {
  return gen === 1 ? sealed : `${gen}.${sealed}`;
}

function parseSealed(sealed: string): { gen: number; body: string } {
  const dot = sealed.indexOf('.');
  if (dot <= 0 || dot > 10) return { gen: 1, body: sealed };
  const gen = Number(sealed.slice(0, dot));
  if (!Number.isSafeInteger(gen) || gen < 2) return { gen: 0, body: sealed };
  return { gen, body: sealed.slice(dot + 1) };
}

/** `KEY_ROTATED`: another tab or session rotated the namespace key to generation `gen`. */
export function keyRotated(gen: number): StrataError {
  return new StrataError(
    'KEY_ROTATED',
    `The namespace key was rotated (generation ${gen}) in another tab or session; call rotateKey() with the new password or key, or reopen with it.`,
  );
}
