import { StrataError, isStrataError } from '../errors.js';
import { isOAuthErrorCode, meansGrantRejected } from './grant-rejection.js';

const MAX_BACKOFF = 60_000;

/**
 * True for an error that means "this refresh token is no good" (the user must sign in
 * again): `INVALID_GRANT`, an error whose OAuth `error` is `invalid_grant`, or one whose
 * `status` is 400/401 unless its OAuth `error` blames the client (`invalid_client`, …).
 */
export function isInvalidGrant(error: unknown): boolean {
  if (isStrataError(error, 'INVALID_GRANT')) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { error: oauthError, status } = error as { error?: unknown; status?: unknown };
  return oauthError === 'invalid_grant' || meansGrantRejected(status, oauthError);
}

/**
 * What a failed refresh means: `signed-out` (nothing to refresh), `busy` (another tab holds
 * the lock), `rejected` (an invalid grant: signs out), or `transient` (retried with backoff
 * unless `onRefreshFailed` says otherwise).
 */
type RefreshFailure = 'signed-out' | 'busy' | 'rejected' | 'transient';

/** Sorts a wrapped refresh error into a {@link RefreshFailure}. */
export function refreshFailureOf(error: StrataError): RefreshFailure {
  if (isStrataError(error, 'NOT_AUTHENTICATED')) return 'signed-out';
  if (isStrataError(error, 'LOCK_TIMEOUT')) return 'busy';
  return isInvalidGrant(error) ? 'rejected' : 'transient';
}

/** The pause before retry number `attempt` (1-based): 1 s doubling, at most a minute. */
export function backoffDelay(attempt: number): number {
  return Math.min(1_000 * 2 ** (attempt - 1), MAX_BACKOFF);
}

/** A StrataError for a refresh failure, its message and cause free of every one of `secrets`. */
export function refreshError(error: unknown, secrets: readonly string[]): StrataError {
  if (error instanceof StrataError) return error;
  const code = isInvalidGrant(error) ? 'INVALID_GRANT' : 'REFRESH_FAILED';
  const { status } = (error ?? {}) as { status?: unknown };
  const http = typeof status === 'number' ? ` (HTTP ${status})` : '';
  return new StrataError(
    code,
    code === 'INVALID_GRANT'
      ? 'The server rejected the refresh token; signed out.'
      : `The token refresh failed${http}.`,
    { cause: mask(error, secrets) },
  );
}

/** The error of a refresh whose result was dropped: the user signed out or in meanwhile. */
export function superseded(): StrataError {
  return new StrataError(
    'NOT_AUTHENTICATED',
    'The user signed out or in while the refresh was in flight; its result was dropped.',
  );
}

const voided = new WeakSet<StrataError>();

/**
 * The error of a refresh or restore dropped because a sign-out began in this or another tab
 * (`NOT_AUTHENTICATED`, like {@link superseded}): the tokens it would give are being revoked.
 */
export function voidedBySignOut(): StrataError {
  const error = new StrataError(
    'NOT_AUTHENTICATED',
    'A sign-out in this or another tab began while the refresh was in flight; its result was dropped.',
  );
  voided.add(error);
  return error;
}

/** True for an error made by {@link voidedBySignOut}. */
export function isVoidedBySignOut(error: unknown): boolean {
  return error instanceof StrataError && voided.has(error);
}

/**
 * A copy of an error with its name, status, OAuth error code and message, `secrets` masked
 * out of the message. Never the original: HTTP clients' errors carry the request (and so the
 * refresh token) in fields that error reporters serialize.
 */
function mask(error: unknown, secrets: readonly string[]): Error {
  let message = error instanceof Error ? error.message : 'Non-error value thrown';
  for (const secret of secrets) message = message.split(secret).join('[token]');
  const masked = new Error(message);
  masked.name = error instanceof Error ? error.name : 'Error';
  const { status, error: oauthError } = (error ?? {}) as { status?: unknown; error?: unknown };
  if (typeof status === 'number') Object.assign(masked, { status });
  if (isOAuthErrorCode(oauthError)) Object.assign(masked, { error: oauthError });
  return masked;
}
