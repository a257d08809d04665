import { bytesToHex } from '../codec/base64.js';
import { StrataError } from '../errors.js';
import type { RestoreGuard } from './auth-types.js';
import type { StrataLike } from './strata-like.js';

/**
 * The device traits a {@link SessionFingerprint} hashes: ones that do not change while a browser is
 * used.
 */
export interface FingerprintTraits {
  userAgent: string;
  language: string;
  languages: string[];
  timeZone: string;
  platform: string;
  colorDepth: number;
  hardwareConcurrency: number;
}

/** Options of {@link SessionFingerprint}. */
export interface SessionFingerprintOptions {
  /** Where the binding lives: a `Strata` (or any {@link StrataLike}). */
  storage: StrataLike;
  /** Storage key of the bound hash. Default `'session-fingerprint'`. */
  key?: string;
  /**
   * Lifetime of the binding in ms. Default: none (it goes with the session: it is tagged `auth`, so
   * `logout()` removes it).
   */
  ttl?: number;
  /** Reads the traits; injectable for tests. Default {@link currentTraits}. */
  traits?: () => FingerprintTraits;
}

/**
 * The traits of this browser: user agent, languages, time zone, platform, colour depth and
 * core count. Not the window or screen size, nor anything that changes on resize, zoom or
 * moving to another monitor.
 */
export function currentTraits(): FingerprintTraits {
  const nav = navigator;
  return {
    userAgent: nav.userAgent,
    language: nav.language,
    languages: [...(nav.languages ?? [])],
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    platform: nav.platform,
    colorDepth: typeof screen === 'undefined' ? 0 : screen.colorDepth,
    hardwareConcurrency: nav.hardwareConcurrency ?? 0,
  };
}

/**
 * A session fingerprint: a SHA-256 (`crypto.subtle`) of stable device traits,
 * bound to the session when it is created and checked before it is restored. Pass it to
 * `new AuthSession({ fingerprint })`: it is a {@link RestoreGuard}, so `login()` binds it
 * and a restore from the refresh token is refused when the device no longer matches.
 *
 * A fingerprint is a tripwire, not security: every trait is readable and forgeable by any
 * script or attacker who copies the storage, and a browser update changes the user agent
 * (the next restore then asks the user to sign in again). It catches a session file copied
 * naively to another machine; it does not stop a determined thief.
 */
export class SessionFingerprint implements RestoreGuard {
  readonly #storage: StrataLike;
  readonly #key: string;
  readonly #ttl: number | undefined;
  readonly #traits: () => FingerprintTraits;

  constructor(options: SessionFingerprintOptions) {
    if (typeof options?.storage?.get !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'SessionFingerprint needs { storage: Strata }.');
    if (options.ttl !== undefined && !(Number.isFinite(options.ttl) && options.ttl > 0))
      throw new StrataError('INVALID_OPTIONS', 'ttl must be a positive number of milliseconds.');
    this.#storage = options.storage;
    this.#key = options.key ?? 'session-fingerprint';
    this.#ttl = options.ttl;
    this.#traits = options.traits ?? currentTraits;
  }

  /** The SHA-256 of the current traits, as 64 hex digits. */
  async compute(): Promise<string> {
    if (typeof crypto === 'undefined' || !crypto.subtle)
      throw new StrataError(
        'CRYPTO_UNAVAILABLE',
        'SessionFingerprint needs crypto.subtle (a secure context).',
      );
    const traits = this.#traits();
    const canonical = JSON.stringify(
      Object.keys(traits)
        .sort()
        .map((name) => [name, traits[name as keyof FingerprintTraits]]),
    );
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical));
    return bytesToHex(new Uint8Array(digest));
  }

  /**
   * Binds the session to this device: stores the current hash (encrypted, tagged `auth`). Returns
   * it.
   */
  async bind(): Promise<string> {
    const hash = await this.compute();
    await this.#storage.set(this.#key, hash, {
      encrypt: true,
      tags: ['auth'],
      ...(this.#ttl === undefined ? {} : { ttl: this.#ttl }),
    });
    return hash;
  }

  /** True when a binding exists and matches this device; false when there is none or it differs. */
  async check(): Promise<boolean> {
    const bound = await this.#storage.get<string>(this.#key);
    if (typeof bound !== 'string') return false;
    return bound === (await this.compute());
  }

  /** Forgets the binding. */
  async unbind(): Promise<void> {
    await this.#storage.remove(this.#key);
  }

  /** {@link RestoreGuard}: same as {@link bind}. */
  create(): Promise<string> {
    return this.bind();
  }

  /** {@link RestoreGuard}: same as {@link check}. */
  validate(): Promise<boolean> {
    return this.check();
  }
}
