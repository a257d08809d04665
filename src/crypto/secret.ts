import { StrataError } from '../errors.js';
import type { EncryptionOptions } from '../types.js';

/** The floor the SDK enforces for PBKDF2-SHA-256 (OWASP 2023 guidance). */
const MIN_PBKDF2_ITERATIONS = 600_000;

/** What an instance knows to open its namespace key. */
export type KeySecret =
  | { kind: 'password'; password: string; iterations: number; keySize: 128 | 256 }
  | { kind: 'key'; key: CryptoKey }
  | { kind: 'device'; keySize: 128 | 256 };

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
