import { StrataError } from '../errors.js';
import type { EncryptionOptions } from '../types.js';

/** The PBKDF2-SHA-256 floor (OWASP 2023 guidance): options and stored metadata below it are refused. */
export const MIN_PBKDF2_ITERATIONS = 600_000;
/** The PBKDF2 ceiling: a stored count above it would keep `ready()` (and the key lock) busy for minutes or more. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** Whether `value` is a PBKDF2 iteration count within the SDK's bounds (options and stored metadata alike). */
export function validIterations(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= MIN_PBKDF2_ITERATIONS &&
    value <= MAX_PBKDF2_ITERATIONS
  );
}

/** What an instance knows to open its namespace key. */
export type KeySecret =
  | { kind: 'password'; password: string; iterations: number; keySize: 128 | 256 }
  | { kind: 'key'; key: CryptoKey }
  | { kind: 'device'; keySize: 128 | 256 }
  | {
      kind: 'wrapped';
      wrappingKey: () => Promise<CryptoKey>;
      keySize: 128 | 256;
      /** The wrapping key once fetched for a key set-up (never stored). */
      resolved?: CryptoKey;
    };

/** The secret an instance's options describe. */
export function secretOf(encryption: EncryptionOptions | undefined): KeySecret {
  const keySize = encryption?.keySize ?? 256;
  if (encryption?.password !== undefined)
    return {
      kind: 'password',
      password: encryption.password,
      iterations: encryption.iterations ?? MIN_PBKDF2_ITERATIONS,
      keySize,
    };
  if (encryption?.key !== undefined) return { kind: 'key', key: encryption.key };
  if (encryption?.wrappingKey !== undefined)
    return { kind: 'wrapped', wrappingKey: encryption.wrappingKey, keySize };
  return { kind: 'device', keySize };
}

/** The secret `rotateKey(target)` rotates to; `INVALID_OPTIONS` for anything but a password or an AES-GCM key. */
export function rotationTarget(
  target: unknown,
  encryption: EncryptionOptions | undefined,
): KeySecret {
  if (typeof target === 'string') {
    if (target === '')
      throw new StrataError(
        'INVALID_OPTIONS',
        'rotateKey needs a non-empty password or an AES-GCM CryptoKey.',
      );
    return secretOf({ ...encryption, enabled: true, password: target });
  }
  if (
    typeof CryptoKey !== 'undefined' &&
    target instanceof CryptoKey &&
    target.algorithm.name === 'AES-GCM' &&
    target.usages.includes('encrypt') &&
    target.usages.includes('decrypt')
  ) {
    return { kind: 'key', key: target };
  }
  throw new StrataError(
    'INVALID_OPTIONS',
    'rotateKey needs a non-empty password or an AES-GCM CryptoKey with encrypt and decrypt usages.',
  );
}
