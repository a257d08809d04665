import { StrataError } from '../errors.js';
import type { SessionUser, UserSession } from './auth-types.js';
import { readJwtPayload } from './jwt.js';
import type { TokenManager } from './token-manager.js';

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

/** What {@link restoreFromIdToken} needs of the `AuthSession` it restores. */
export interface IdTokenRestoreHost {
  tokens: Pick<TokenManager, 'getTokens' | 'refresh'>;
  /** Runs `work` under the restore lock (one tab restores for all). */
  underLock<T>(work: () => Promise<T>): Promise<T>;
  /** The stored session while it has not expired. */
  sessionNow(): Promise<UserSession | null>;
  /** True once a sign-out (here or in any tab) overtook the restore. */
  voided(): Promise<boolean>;
  /** Signs in as the user of these id_token claims. */
  signIn(claims: Record<string, unknown>): Promise<void>;
}

/**
 * The OpenID Connect restore of an ended session: under the restore lock, unless another tab
 * restored meanwhile, a refresh through the TokenManager, then a sign-in as the user of the
 * id_token held after it (the refresh's own when it returned one, which must name the same
 * subject). `null` when there is no refresh token, no id_token, or a sign-out overtook it.
 */
export function restoreFromIdToken(host: IdTokenRestoreHost): Promise<UserSession | null> {
  return host.underLock(async () => {
    const already = await host.sessionNow();
    if (already) return already;
    const before = await host.tokens.getTokens();
    if (!before?.refreshToken || (await host.voided())) return null;
    const after = await host.tokens.refresh({ force: true });
    if (!after.idToken || (await host.voided())) return null;
    checkSameSubject(before.idToken, after.idToken);
    await host.signIn(idTokenClaims(after.idToken));
    return (await host.voided()) ? null : host.sessionNow();
  });
}
