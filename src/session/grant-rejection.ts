/**
 * What an OAuth error code looks like (RFC 6749 §5.2): never free text, which could echo a token.
 */
export function isOAuthErrorCode(value: unknown): value is string {
  return typeof value === 'string' && /^[a-z_]{1,64}$/.test(value);
}

/** RFC 6749 §5.2 codes that blame the client or the request, not the refresh token. */
const CLIENT_FAULTS = new Set([
  'invalid_client',
  'invalid_request',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

/**
 * Whether a token endpoint's 400/401 means "this refresh token is no good": yes, unless its
 * OAuth error code blames the client or the request (`invalid_client`, `invalid_request`,
 * `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`), in which case the
 * token is kept and the refresh retried. Other statuses never do.
 */
export function meansGrantRejected(status: unknown, oauthError: unknown): boolean {
  return (
    (status === 400 || status === 401) &&
    !(isOAuthErrorCode(oauthError) && CLIENT_FAULTS.has(oauthError))
  );
}
