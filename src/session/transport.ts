import { StrataError } from '../errors.js';

/** Anything that sends HTTP like `fetch`. A `TokenManager`'s `fetch` adds the Bearer token. */
export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** Something with a `fetch` that authenticates, such as a `TokenManager`. */
export interface AuthenticatedFetcher {
  fetch: FetchLike;
  /**
   * The tokens still held (a `TokenManager`'s): tells a 401 after a failed refresh from a
   * signed-out user.
   */
  getTokens?: () => Promise<unknown>;
  /**
   * Whether the sign-in is still current in every tab (a `TokenManager`'s): false once another
   * tab signed out, though its `cleared` has not reached this one yet.
   */
  stillSignedIn?: () => Promise<boolean>;
  /**
   * Listens to sign-outs (a `TokenManager`'s `cleared`, in this tab or told from another): a
   * request sent before one is overtaken by it.
   */
  on?(event: 'cleared', handler: () => void): () => void;
}

/** The fetch to use: the given one, else the fetcher's (bound), else the platform's. */
export function pickFetch(
  fetch: FetchLike | undefined,
  fetcher: AuthenticatedFetcher | undefined,
): FetchLike {
  if (fetch) return fetch;
  if (fetcher) return (input, init) => fetcher.fetch(input, init);
  return (input, init) => globalThis.fetch(input, init);
}

/**
 * POSTs `body` as JSON. A network failure rejects with `NETWORK` (the cause kept, no
 * header or body copied into the message); any HTTP status resolves.
 */
export async function postJson(fetch: FetchLike, url: string, body: unknown): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (cause) {
    if (cause instanceof StrataError) throw cause;
    throw new StrataError('NETWORK', `POST ${url} failed: the network is unreachable.`, { cause });
  }
}

/** A `NETWORK` error for an HTTP answer that is not a success. */
export function httpError(url: string, status: number): StrataError {
  return new StrataError('NETWORK', `POST ${url} answered HTTP ${status}.`);
}
