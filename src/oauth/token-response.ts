import type { OAuthTokenResponse } from './oauth-types.js';

/** The fields of a token endpoint answer the SDK reads, snake_case as the server sends them. */
interface RawTokens {
  access_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
  refresh_token?: unknown;
  id_token?: unknown;
  scope?: unknown;
  refresh_expires_in?: unknown;
}

/**
 * The camelCase {@link OAuthTokenResponse} of a token endpoint answer; `undefined` when it has no
 * access token. `withIdToken: false` drops the id_token (one that failed validation).
 */
export function tokensOf(raw: unknown, withIdToken = true): OAuthTokenResponse | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const body = raw as RawTokens;
  if (typeof body.access_token !== 'string' || body.access_token === '') return undefined;
  const tokens: OAuthTokenResponse = {
    accessToken: body.access_token,
    tokenType:
      typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'dpop'
        ? 'DPoP'
        : 'Bearer',
  };
  const expiresIn = Number(body.expires_in);
  if (body.expires_in !== undefined && Number.isFinite(expiresIn) && expiresIn > 0)
    tokens.expiresIn = expiresIn;
  if (typeof body.refresh_token === 'string' && body.refresh_token !== '')
    tokens.refreshToken = body.refresh_token;
  if (withIdToken && typeof body.id_token === 'string') tokens.idToken = body.id_token;
  if (typeof body.scope === 'string') tokens.scope = body.scope;
  const refreshExpiresIn = Number(body.refresh_expires_in);
  if (Number.isFinite(refreshExpiresIn) && refreshExpiresIn > 0)
    tokens.refreshExpiresIn = refreshExpiresIn;
  return tokens;
}
