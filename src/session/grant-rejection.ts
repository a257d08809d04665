/** What an OAuth error code looks like (RFC 6749 §5.2): never free text, which could echo a token. */
export function isOAuthErrorCode(value: unknown): value is string {
  return typeof value === 'string' && /^[a-z_]{1,64}$/.test(value);
}

/**
 * When a token endpoint's error answer means "this refresh token is no good". OAuth 2.0
 * (RFC 6749 §5.2) says so with `invalid_grant` (RFC 6750's `invalid_token` likewise); its
 * other codes (`invalid_client`, `invalid_request`, `unauthorized_client`, …) point at the
 * client or the request, so the token is kept and the refresh retried. An answer without
 * an OAuth code counts as a rejection when its status is 400 or 401.
 */
export function meansGrantRejected(status: unknown, oauthError: unknown): boolean {
  if (isOAuthErrorCode(oauthError)) return oauthError === 'invalid_grant' || oauthError === 'invalid_token';
  return status === 400 || status === 401;
}
