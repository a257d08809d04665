import * as oauth from 'oauth4webapi';
import { DPoPKeyStore } from './dpop-key.js';
import { isLoopback } from './http.js';
import { serverClockOffset } from './server-clock.js';

/** Where a DPoP handle's key pair comes from: made if missing, as stored now, or held in memory. */
export type KeySource = 'create' | 'stored' | 'cached';

/**
 * The DPoP proofs of one client (RFC 9449): an oauth4webapi handle over the namespace's key
 * pair, stamped with the authorization server's time, rebuilt only when the pair or the
 * server's clock offset changes, so the servers' nonces it caches are kept.
 */
export class DPoPSigner {
  readonly #keys: DPoPKeyStore;
  readonly #client: oauth.Client;
  /** The authorization server, as the options name it (the key of its clock offset). */
  readonly #server: string;
  /** The handle of the stored key pair `id`, at `offset`. */
  #handle: { id: string; offset: number; handle: oauth.DPoPHandle } | undefined;

  constructor(namespace: string, client: oauth.Client, server: string) {
    this.#keys = new DPoPKeyStore(namespace);
    this.#client = client;
    this.#server = server;
  }

  /**
   * The handle over the key pair from `from` (`stored`: another tab's sign-out may have
   * destroyed it; `cached`: a resource call's, dropped when any tab destroys the pair).
   */
  async handle(from: KeySource): Promise<oauth.DPoPHandle | undefined> {
    const keys = this.#keys;
    const stored =
      from === 'create'
        ? await keys.loadOrCreate()
        : from === 'cached'
          ? await keys.cached()
          : await keys.load();
    if (!stored) {
      this.#handle = undefined;
      return undefined;
    }
    const offset = serverClockOffset(this.#server);
    if (this.#handle?.id !== stored.id || this.#handle.offset !== offset) {
      const client = { ...this.#client, [oauth.clockSkew]: offset };
      this.#handle = { id: stored.id, offset, handle: oauth.DPoP(client, stored) };
    }
    return this.#handle.handle;
  }

  /** Destroys the key pair in every tab: tokens bound to it become useless. */
  async destroy(): Promise<void> {
    this.#handle = undefined;
    await this.#keys.destroy();
  }
}

/**
 * `request` to a resource server with a DPoP-bound `accessToken` and a fresh proof (`htm`,
 * `htu`, `ath`, `jti`); a 401 asking for `use_dpop_nonce` is retried once with the nonce.
 */
export async function dpopResourceRequest(
  handle: oauth.DPoPHandle,
  accessToken: string,
  request: Request,
  doFetch: typeof fetch,
): Promise<Response> {
  // Firefox has no Request.body: a GET or HEAD carries none, anything else is read whole.
  const bodiless = request.method === 'GET' || request.method === 'HEAD';
  const body = bodiless ? null : await request.arrayBuffer();
  const url = new URL(request.url);
  const send = (): Promise<Response> =>
    oauth.protectedResourceRequest(accessToken, request.method, url, request.headers, body, {
      DPoP: handle,
      signal: request.signal,
      [oauth.customFetch]: (target, sent) =>
        doFetch(target, {
          method: sent.method,
          headers: sent.headers,
          body: sent.body as BodyInit | null,
          redirect: request.redirect,
          credentials: request.credentials,
          cache: request.cache,
          mode: request.mode,
          signal: request.signal,
        }),
      ...(isLoopback(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    });
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
      if (attempt === 1 && oauth.isDPoPNonceError(error)) continue;
      return error.response;
    }
  }
}

/** Runs a token request; a `use_dpop_nonce` answer runs it once more (the handle cached the nonce). */
export async function withNonce<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return run();
  }
}
