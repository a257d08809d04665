import { StrataError } from '../errors.js';
import type { EncryptionOptions } from '../types.js';
import { MIN_PBKDF2_ITERATIONS } from './meta-check.js';
import { fetchWrappingKey } from './wrapped-key.js';

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

/** `secret` with its wrapping key fetched (a `wrapped` secret not yet resolved); other kinds as they are. */
export async function resolveSecret(secret: KeySecret): Promise<KeySecret> {
  if (secret.kind !== 'wrapped' || secret.resolved) return secret;
  return { ...secret, resolved: await fetchWrappingKey(secret.wrappingKey) };
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
