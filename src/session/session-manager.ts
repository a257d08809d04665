import { bytesToBase64 } from '../codec/base64.js';
import { StrataError } from '../errors.js';
import { withLock } from '../sync/lock.js';
import type { StrataLike } from './strata-like.js';

/** Options of {@link SessionManager}. */
export interface SessionManagerOptions {
  /**
   * Lifetime of the id and the data, in ms, sliding with every read (30 min is typical). Default:
   * no expiry.
   */
  ttl?: number;
  /**
   * Prefix of every key: `<prefix>id` holds the id, `<prefix><id>:<key>` the data. Default
   * `'session:'`.
   */
  keyPrefix?: string;
  /** Encrypt the id and the data. Default: the instance's `encryption.enabled`. */
  encrypt?: boolean;
}

/** `sess_` followed by 22 base64url characters: 128 random bits. */
const ID_PATTERN = /^sess_[A-Za-z0-9_-]{22}$/;

/** A fresh session id: `'sess_'` + 128 bits from `crypto.getRandomValues`, base64url. */
export function createSessionId(): string {
  const base64 = bytesToBase64(crypto.getRandomValues(new Uint8Array(16)));
  return `sess_${base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/**
 * A basic session: a random id kept in a `Strata` and data namespaced under
 * it (`session:<id>:<key>`, tagged `session:<id>`). The id is created once and reused by
 * every call, every instance and, on a shared layer, every tab: creation runs under a
 * cross-tab lock that first looks for an id another caller just stored. `clearSession()`
 * removes the data and the id; the next `id()` starts a new session.
 *
 * @example
 * const session = new SessionManager(strata, { ttl: 30 * 60_000 });
 * await session.setSessionData('wizard-step', 2);
 */
export class SessionManager {
  readonly #strata: StrataLike;
  readonly #prefix: string;
  readonly #ttl: number | undefined;
  readonly #encrypt: boolean | undefined;
  #creating: Promise<string> | undefined;

  constructor(strata: StrataLike, options: SessionManagerOptions = {}) {
    if (typeof strata?.get !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'SessionManager needs a Strata.');
    const prefix = options.keyPrefix ?? 'session:';
    if (typeof prefix !== 'string' || prefix === '' || prefix.includes('*'))
      throw new StrataError('INVALID_OPTIONS', 'keyPrefix must be a non-empty string without "*".');
    if (options.ttl !== undefined && !(Number.isFinite(options.ttl) && options.ttl > 0))
      throw new StrataError('INVALID_OPTIONS', 'ttl must be a positive number of milliseconds.');
    this.#strata = strata;
    this.#prefix = prefix;
    this.#ttl = options.ttl;
    this.#encrypt = options.encrypt;
  }

  /** The session id, created on first use and reused until {@link clearSession} (or expiry). */
  async id(): Promise<string> {
    const existing = await this.#storedId();
    if (existing) return existing;
    this.#creating ??= withLock(
      `strata-session-id:${this.#strata.namespace}/${this.#prefix}`,
      async () => {
        const again = await this.#storedId();
        if (again) return again;
        const id = createSessionId();
        await this.#strata.set(this.#idKey, id, this.#setOptions());
        return id;
      },
    ).finally(() => {
      this.#creating = undefined;
    });
    return this.#creating;
  }

  /** Stores `value` under `key` in this session. */
  async setSessionData(key: string, value: unknown): Promise<void> {
    const id = await this.id();
    await this.#strata.set(this.#dataKey(id, key), value, {
      ...this.#setOptions(),
      tags: [this.#tag(id)],
    });
  }

  /** The value under `key` in this session; `null` when missing. */
  async getSessionData<T = unknown>(key: string): Promise<T | null> {
    return this.#strata.get<T>(this.#dataKey(await this.id(), key));
  }

  /** Removes `key` from this session. */
  async removeSessionData(key: string): Promise<void> {
    await this.#strata.remove(this.#dataKey(await this.id(), key));
  }

  /** The keys (without the session prefix) this session holds. */
  async sessionKeys(): Promise<string[]> {
    const prefix = this.#dataPrefix(await this.id());
    return (await this.#strata.keys(prefix)).map((key) => key.slice(prefix.length));
  }

  /** Removes every item of this session and its id: the next {@link id} is a new one. */
  async clearSession(): Promise<void> {
    const id = await this.#storedId();
    if (!id) return;
    await this.#strata.clear({ tags: [this.#tag(id)] });
    await this.#strata.clear({ prefix: this.#dataPrefix(id) });
    await this.#strata.remove(this.#idKey);
  }

  get #idKey(): string {
    return `${this.#prefix}id`;
  }

  async #storedId(): Promise<string | null> {
    const id = await this.#strata.get<unknown>(this.#idKey);
    return typeof id === 'string' && ID_PATTERN.test(id) ? id : null;
  }

  #dataKey(id: string, key: string): string {
    if (typeof key !== 'string' || key === '')
      throw new StrataError('INVALID_KEY', 'Session data keys are non-empty strings.');
    return this.#dataPrefix(id) + key;
  }

  #dataPrefix(id: string): string {
    return `${this.#prefix}${id}:`;
  }

  #tag(id: string): string {
    return `${this.#prefix}${id}`;
  }

  #setOptions(): { ttl?: number; sliding?: boolean; encrypt?: boolean } {
    return {
      ...(this.#ttl === undefined ? {} : { ttl: this.#ttl, sliding: true }),
      ...(this.#encrypt === undefined ? {} : { encrypt: this.#encrypt }),
    };
  }
}
