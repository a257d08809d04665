import { bytesToHex } from '../codec/base64.js';
import type { OAuthClientOptions } from './oauth-types.js';

/** What a sign-in in progress keeps until its callback. */
export interface PendingLogin {
  state: string;
  codeVerifier: string;
  nonce: string | undefined;
  redirectUri: string;
}

const PREFIX = 'oauth:pending:';

/**
 * Sign-ins in progress, one item each in the app's `Strata` (so encrypted when it encrypts),
 * keyed by a hash of their `state`, with a short TTL. A pending sign-in is taken once: a replayed
 * callback, or one this browser never started, finds nothing.
 */
export class PendingLogins {
  readonly #storage: OAuthClientOptions['storage'];
  readonly #ttl: number;

  constructor(storage: OAuthClientOptions['storage'], ttl: number) {
    this.#storage = storage;
    this.#ttl = ttl;
  }

  async put(login: PendingLogin): Promise<void> {
    await this.#storage.set(await keyOf(login.state), login, { ttl: this.#ttl });
  }

  /** The sign-in started with `state`, removed so it cannot be used again; `undefined` when none. */
  async take(state: string): Promise<PendingLogin | undefined> {
    const key = await keyOf(state);
    const login = await this.#storage.get<PendingLogin>(key);
    if (login === null) return undefined;
    await this.#storage.remove(key);
    return login.state === state ? login : undefined;
  }
}

async function keyOf(state: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(state));
  return PREFIX + bytesToHex(new Uint8Array(digest)).slice(0, 32);
}
