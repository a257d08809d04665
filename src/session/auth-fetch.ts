/** What {@link authFetch} needs from a token holder. */
interface AuthFetchSource {
  fetch: typeof fetch;
  /** The access token to send; `null` sends none. */
  accessToken: () => Promise<string | null>;
  /**
   * A new access token after `stale` was refused (single flight; skipped when already replaced).
   */
  renew: (stale: string) => Promise<string>;
  /**
   * Sends with `access` itself (an OAuth client: `Bearer` or `DPoP` with a proof); without it,
   * `fetch` with `Authorization: Bearer`.
   */
  send?:
    | ((access: string, input: RequestInfo | URL, init: RequestInit) => Promise<Response>)
    | undefined;
}

/**
 * `fetch` with `Authorization: Bearer <access token>`. On a 401 it renews once and retries
 * once; a second 401, or a failed renewal, returns the 401 as is, never looped.
 */
export async function authFetch(
  source: AuthFetchSource,
  input: RequestInfo | URL,
  init: RequestInit = {},
): Promise<Response> {
  const token = await source.accessToken();
  // Each send gets a copy of a Request, so the retry can read its body again.
  const base = input instanceof Request ? new Request(input, init) : undefined;
  const send = (access: string | null): Promise<Response> => {
    if (access && source.send)
      return source.send(access, base ? base.clone() : input, base ? {} : init);
    if (base) {
      const request = base.clone();
      if (access) request.headers.set('Authorization', `Bearer ${access}`);
      return source.fetch(request);
    }
    const headers = new Headers(init.headers);
    if (access) headers.set('Authorization', `Bearer ${access}`);
    return source.fetch(input, { ...init, headers });
  };
  const response = await send(token);
  if (response.status !== 401 || token === null) return response;
  let fresh: string;
  try {
    fresh = await source.renew(token);
  } catch {
    return response;
  }
  return send(fresh);
}
