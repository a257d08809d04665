import { StrataError } from '../errors.js';
import type { SessionUser } from './auth-types.js';
import { readJwtPayload } from './jwt.js';

/**
 * The default `userFromClaims` of `AuthSession`: `userId` from `sub`, `username` from
 * `preferred_username` (else `name`), `email`, and `roles` / `permissions` from claims of those
 * names when they are arrays of strings (else none). No other claim is kept in the session.
 */
export function defaultUserFromClaims(claims: Record<string, unknown>): SessionUser {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const list = (value: unknown) =>
    Array.isArray(value) && value.every((item) => typeof item === 'string')
      ? (value as string[])
      : [];
  const user: SessionUser = {
    userId: text(claims.sub) ?? '',
    roles: list(claims.roles),
    permissions: list(claims.permissions),
  };
  const username = text(claims.preferred_username) ?? text(claims.name);
  if (username !== undefined) user.username = username;
  const email = text(claims.email);
  if (email !== undefined) user.email = email;
  return user;
}

/**
 * The claims of an id_token the SDK already holds. Not verified here: `OAuthClient` validated it
 * when it arrived (signature at sign-in; `iss`, `aud`, `exp` on every answer). `INVALID_ID_TOKEN`
 * when it is not a JWT.
 */
export function idTokenClaims(idToken: string): Record<string, unknown> {
  const claims = readJwtPayload(idToken);
  if (claims === undefined)
    throw new StrataError('INVALID_ID_TOKEN', 'The id_token held is not a JWT.');
  return claims;
}

/**
 * `INVALID_ID_TOKEN` unless the id_token of a refresh names the same subject as the one before
 * (OpenID Connect Core §12.2): a session is never restored as another user.
 */
export function checkSameSubject(before: string | undefined, after: string): void {
  if (before === undefined || before === after) return;
  if (idTokenClaims(before).sub !== idTokenClaims(after).sub)
    throw new StrataError(
      'INVALID_ID_TOKEN',
      'The refreshed id_token names another subject than the sign-in; not restored.',
    );
}

/** The claims of `OAuthClient.handleCallback`'s result; `INVALID_OPTIONS` when it has none. */
export function callbackClaims(result: {
  claims: Record<string, unknown> | null;
}): Record<string, unknown> {
  if (typeof result?.claims !== 'object' || result.claims === null)
    throw new StrataError(
      'INVALID_OPTIONS',
      'loginFromCallback needs id_token claims: request the openid scope, or call login() with a user.',
    );
  return result.claims;
}
