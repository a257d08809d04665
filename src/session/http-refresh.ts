import { StrataError } from '../errors.js';
import type { TokenResponse } from './token-manager.js';

/**
 * A `refresh` function for {@link TokenManager} that POSTs `{ refreshToken }` as JSON to
 * `url` and reads `{ tokens: { accessToken, refreshToken, idToken, expiresIn } }` or the
 * same fields at the top level. 400/401 throw `INVALID_GRANT`; other failures
 * `REFRESH_FAILED` or `NETWORK`, none with a token in the message.
 */
export function httpRefresh(url: string, options: { fetch?: typeof fetch; init?: RequestInit } = {}): (refreshToken: string) => Promise<TokenResponse & { user?: unknown }> {
  return async (refreshToken) => {
    const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        ...options.init,
        headers: { 'Content-Type': 'application/json', ...(options.init?.headers as Record<string, string> | undefined) },
        body: JSON.stringify({ refreshToken }),
      });
    } catch (cause) {
      throw new StrataError('NETWORK', 'The refresh request did not reach the server.', { cause });
    }
    if (response.status === 400 || response.status === 401) throw new StrataError('INVALID_GRANT', `The server rejected the refresh token (HTTP ${response.status}).`);
    if (!response.ok) throw Object.assign(new StrataError('REFRESH_FAILED', `The refresh request failed (HTTP ${response.status}).`), { status: response.status });
    const body = (await response.json()) as { tokens?: TokenResponse; user?: unknown } & Partial<TokenResponse>;
    const tokens = body.tokens ?? (body as TokenResponse);
    if (typeof tokens.accessToken !== 'string') throw new StrataError('REFRESH_FAILED', 'The refresh response has no accessToken.');
    return body.user === undefined ? tokens : { ...tokens, user: body.user };
  };
}
