import * as oauth from 'oauth4webapi';
import { StrataError, type StrataErrorCode } from '../errors.js';

/** RFC 6749 §5.2 / RFC 9449 codes (never free text, which could echo a token). */
const OAUTH_CODE = /^[a-z_]{1,64}$/;

/** Errors that mean the server, not the client, is in trouble (or a nonce that kept changing): kept tokens, backoff. */
const TRANSIENT_CODES = new Set(['server_error', 'temporarily_unavailable', 'use_dpop_nonce']);

/** What a failed request to the authorization server says, read without any token in it. */
interface Failure {
  /** The OAuth `error` code, when the server gave one. */
  error: string | undefined;
  /** The HTTP status, when a response arrived. */
  status: number | undefined;
  /** oauth4webapi's stable code (e.g. `OAUTH_JWT_CLAIM_COMPARISON_FAILED`), when it threw. */
  library: string | undefined;
  /** No response at all (the network failed or the request timed out). */
  network: boolean;
}

/** Reads `error` into a {@link Failure}; no message, body or cause is copied (they carry tokens). */
export function failureOf(error: unknown): Failure {
  const failure: Failure = {
    error: undefined,
    status: undefined,
    library: undefined,
    network: false,
  };
  if (error instanceof oauth.ResponseBodyError) {
    failure.status = error.status;
    if (OAUTH_CODE.test(error.error)) failure.error = error.error;
    failure.library = error.code;
    return failure;
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    if (OAUTH_CODE.test(error.error)) failure.error = error.error;
    failure.library = error.code;
    return failure;
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    failure.status = error.status;
    const code = error.cause.find((c) => typeof c.parameters.error === 'string')?.parameters.error;
    if (code && OAUTH_CODE.test(code)) failure.error = code;
    failure.library = error.code;
    return failure;
  }
  if (error instanceof oauth.OperationProcessingError) {
    failure.library = error.code;
    const cause = error.cause as unknown;
    if (cause instanceof Response) failure.status = cause.status;
    return failure;
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    failure.library = error.code;
    return failure;
  }
  if (error instanceof StrataError && (error.code === 'NETWORK' || error.code === 'TIMEOUT')) {
    failure.network = true;
    return failure;
  }
  // fetch rejects with a TypeError when the network fails.
  if (error instanceof TypeError && !('code' in error)) failure.network = true;
  return failure;
}

/** Where it failed, for messages: `(HTTP 401, invalid_client)`. */
export function describe(failure: Failure): string {
  const parts = [
    failure.status === undefined ? undefined : `HTTP ${failure.status}`,
    failure.error,
    failure.error === undefined ? failure.library : undefined,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** A StrataError with `code` and `message`, carrying the failure's OAuth `error` and status (only). */
export function oauthError(
  code: StrataErrorCode,
  message: string,
  failure: Failure,
  withStatus = false,
): StrataError {
  const error = new StrataError(code, message);
  if (failure.error !== undefined) Object.assign(error, { error: failure.error });
  // A status is carried only where TokenManager's classification must see it (invalid_grant):
  // a 400/401 with a status would otherwise count as a rejected grant.
  if (withStatus && failure.status !== undefined) Object.assign(error, { status: failure.status });
  return error;
}

/**
 * The error policy of a refresh, expressed as what it throws:
 * - `invalid_grant` → `INVALID_GRANT` (TokenManager signs out in every tab);
 * - `server_error`, `temporarily_unavailable`, 5xx, no response → `REFRESH_FAILED` / `NETWORK` /
 *   `TIMEOUT` (transient: tokens kept, backoff);
 * - every other refusal (`invalid_client`, `unauthorized_client`, `invalid_dpop_proof`, a
 *   malformed answer, …) → `CLIENT_FAULT`: retrying cannot help, the refresh token is kept.
 */
export function refreshFailure(error: unknown): StrataError {
  const failure = failureOf(error);
  const where = describe(failure);
  if (failure.network) {
    return error instanceof StrataError
      ? error
      : new StrataError('NETWORK', 'The token endpoint could not be reached.');
  }
  if (failure.error === 'invalid_grant')
    return oauthError(
      'INVALID_GRANT',
      `The authorization server rejected the refresh token${where}; signed out.`,
      failure,
      true,
    );
  if (
    (failure.error !== undefined && TRANSIENT_CODES.has(failure.error)) ||
    (failure.status !== undefined && failure.status >= 500)
  )
    return oauthError('REFRESH_FAILED', `The token endpoint failed${where}; will retry.`, failure);
  return oauthError(
    'CLIENT_FAULT',
    `The token endpoint refused this client's request${where}; retrying will not help: check the client's registration and configuration. The refresh token is kept.`,
    failure,
  );
}

/** The error of a failed code exchange: the id_token's, or the callback's. */
export function exchangeFailure(error: unknown, raw: unknown): StrataError {
  const failure = failureOf(error);
  if (failure.network && error instanceof StrataError) return error;
  const hadIdToken =
    typeof raw === 'object' &&
    raw !== null &&
    typeof (raw as { id_token?: unknown }).id_token === 'string';
  if (hadIdToken && !(error instanceof oauth.ResponseBodyError))
    return oauthError(
      'INVALID_ID_TOKEN',
      `The id_token was refused${describe(failure)}: wrong issuer, audience, nonce, algorithm or expiry.`,
      failure,
    );
  return oauthError(
    'INVALID_CALLBACK',
    `The authorization code could not be exchanged${describe(failure)}. Start the sign-in again.`,
    failure,
  );
}
