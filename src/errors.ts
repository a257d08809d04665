/** Stable machine-readable codes carried by every {@link StrataError}. */
export type StrataErrorCode =
  | 'INVALID_KEY'
  | 'INVALID_OPTIONS'
  | 'UNSERIALIZABLE'
  | 'QUOTA_EXCEEDED'
  | 'STORAGE_UNAVAILABLE'
  | 'CLOSED'
  | 'WRONG_PASSWORD'
  | 'WRONG_KEY'
  | 'KEY_LOST'
  | 'KEY_ROTATED'
  | 'CRYPTO_UNAVAILABLE'
  | 'WRAPPING_KEY_UNAVAILABLE'
  | 'DECRYPT_FAILED'
  | 'CORRUPT_RECORD'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_MESSAGE'
  | 'LOCK_TIMEOUT'
  | 'TIMEOUT'
  | 'REFRESH_FAILED'
  | 'INVALID_GRANT'
  | 'NOT_AUTHENTICATED'
  | 'NETWORK'
  | 'DISCOVERY_FAILED'
  | 'INVALID_CALLBACK'
  | 'INVALID_ID_TOKEN'
  | 'CLIENT_FAULT'
  | 'REVOCATION_FAILED';

/**
 * The one error type the SDK throws or reports. Match on `code`, never on `message`:
 * messages are for people and may change; codes are stable. Messages never contain a
 * stored value, token or secret.
 */
export class StrataError extends Error {
  /** Stable code, e.g. `'WRONG_PASSWORD'`. */
  readonly code: StrataErrorCode;
  /** The storage key involved, when there is one (keys are not secret). */
  readonly key: string | undefined;

  constructor(code: StrataErrorCode, message: string, options?: { cause?: unknown; key?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.key = options?.key;
  }
}

/** True when `error` is a {@link StrataError}, optionally with the given code. */
export function isStrataError(error: unknown, code?: StrataErrorCode): error is StrataError {
  return error instanceof StrataError && (code === undefined || error.code === code);
}

/** True for the DOMException / Firefox variants that mean "storage is full". */
export function isQuotaError(error: unknown): boolean {
  if (isStrataError(error, 'QUOTA_EXCEEDED')) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return (
    name === 'QuotaExceededError' ||
    name === 'NS_ERROR_DOM_QUOTA_REACHED' ||
    code === 22 ||
    code === 1014
  );
}

/** Wraps a platform error as a {@link StrataError} without copying its message's data. */
export function toStorageError(error: unknown, what: string, key?: string): StrataError {
  if (error instanceof StrataError) return error;
  const name =
    typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : 'Error';
  if (isQuotaError(error)) {
    return new StrataError(
      'QUOTA_EXCEEDED',
      `${what}: the storage quota is exhausted (${name}).`,
      withKey(error, key),
    );
  }
  return new StrataError('STORAGE_UNAVAILABLE', `${what} failed (${name}).`, withKey(error, key));
}

function withKey(cause: unknown, key: string | undefined): { cause: unknown; key?: string } {
  return key === undefined ? { cause } : { cause, key };
}

/** Browser errors of storage that may pass when tried again (busy, aborted, full, timed out). */
const PASSING_ERRORS = new Set([
  'UnknownError',
  'AbortError',
  'TimeoutError',
  'TransactionInactiveError',
  'QuotaExceededError',
]);

/**
 * True when `error` may pass on a retry: a timeout, a full or busy store, or a storage error
 * caused by one of those. Start-up must not cache it forever. Everything else is final
 * (a wrong password or key, no Web Crypto, a failed module load, a database of a newer
 * version), so it is not retried on every call.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof StrataError) {
    if (
      error.code === 'TIMEOUT' ||
      error.code === 'LOCK_TIMEOUT' ||
      error.code === 'QUOTA_EXCEEDED' ||
      error.code === 'WRAPPING_KEY_UNAVAILABLE' // the app's server may answer next time
    )
      return true;
    return (
      error.code === 'STORAGE_UNAVAILABLE' &&
      error.cause !== undefined &&
      isTransientError(error.cause)
    );
  }
  return (
    typeof DOMException === 'function' &&
    error instanceof DOMException &&
    PASSING_ERRORS.has(error.name)
  );
}
