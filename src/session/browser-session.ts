import { randomHex } from '../codec/base64.js';
import type { StrataLike } from './strata-like.js';

const COOKIE = 'strata_bsid';

/**
 * An id that lives exactly as long as the browser session: kept in a session cookie (no
 * expiry, shared by every tab, dropped when the browser closes). A session signed in
 * without "remember me" records it, and is dropped once the id changes. Falls back to
 * `sessionStorage` (per tab) where cookies are off; `null` outside a browser.
 */
export function browserSessionId(): string | null {
  if (typeof document === 'undefined') return null;
  try {
    const existing = readCookie();
    if (existing) return existing;
    const id = randomHex(16);
    document.cookie = `${COOKIE}=${id}; path=/; SameSite=Strict${location.protocol === 'https:' ? '; Secure' : ''}`;
    if (readCookie() === id) return id;
    return sessionStorageId(id);
  } catch {
    return null;
  }
}

function readCookie(): string | undefined {
  const pair = document.cookie.split('; ').find((entry) => entry.startsWith(`${COOKIE}=`));
  return pair?.slice(COOKIE.length + 1) || undefined;
}

function sessionStorageId(candidate: string): string | null {
  const existing = sessionStorage.getItem(COOKIE);
  if (existing) return existing;
  sessionStorage.setItem(COOKIE, candidate);
  return candidate;
}

/** Marks a session signed in without "remember me" with the browser session it belongs to. */
const MARK_KEY = 'auth:browser-session';

/**
 * The mark a sign-in without "remember me" leaves in storage (encrypted, tagged `auth`): the
 * id of its browser session, so the session ends once that id changes.
 */
export class BrowserSessionMark {
  readonly #storage: StrataLike;
  readonly #current: () => string | null;
  readonly #lifetime: number;

  /** `current` reads this browser session's id; `lifetime` is a remembered sign-in's. */
  constructor(storage: StrataLike, current: () => string | null, lifetime: number) {
    this.#storage = storage;
    this.#current = current;
    this.#lifetime = lifetime;
  }

  /**
   * Records the browser session a non-remembered sign-in belongs to (and forgets it for a
   * remembered one). The mark slides with every check of the session and lasts as long as
   * a remembered sign-in would, so it outlives the session it guards, in use or not.
   */
  async mark(rememberMe: boolean): Promise<void> {
    const id = rememberMe ? null : this.#current();
    if (id === null) return this.remove();
    await this.#storage.set(MARK_KEY, id, {
      ttl: this.#lifetime,
      sliding: true,
      encrypt: true,
      tags: ['auth'],
    });
  }

  /** True when the stored sign-in was not remembered and its browser session is over. */
  async ended(): Promise<boolean> {
    const marked = await this.#storage.get<string>(MARK_KEY);
    if (marked === null) return false;
    const current = this.#current();
    return current !== null && current !== marked;
  }

  /** True when the stored sign-in was remembered (it left no mark). */
  async remembered(): Promise<boolean> {
    return (await this.#storage.get(MARK_KEY)) === null;
  }

  /** Removes the mark. */
  remove(): Promise<void> {
    return this.#storage.remove(MARK_KEY);
  }
}
