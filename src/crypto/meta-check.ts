import { StrataError } from '../errors.js';
import { validIterations } from './secret.js';

/** The highest key generation accepted (ciphertext names its generation in at most 10 digits). */
export const MAX_GENERATION = 1_000_000_000;

/** Decoded byte lengths each stored field may have: what this SDK writes, with room to spare. */
const BYTES = {
  salt: [16, 64],
  // AES-GCM (12-byte IV, 16-byte tag) of short texts: the verifier, the legacy tag secret, a wrapped key.
  verifier: [44, 128],
  tags: [44, 128],
  wrappedNew: [44, 128],
  wrappedOld: [44, 128],
  // A data key wrapped by AES-KW (24 or 40 bytes) or AES-GCM (IV + key + tag: 44 or 60 bytes).
  wrapped: [24, 60],
} as const;

const MODES = ['password', 'key', 'device', 'wrapped'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks the stored key metadata against the bounds of what this SDK writes (PBKDF2
 * iterations 600,000–10,000,000; salt, verifier and wrapped-key sizes; key generations) before
 * any of it is used. Outside them it throws `CORRUPT_RECORD` at once, and the caller writes
 * nothing: edited metadata must neither hang `ready()` nor be replaced by a new key.
 */
export function checkMeta(meta: Record<string, unknown>): void {
  checkSlot(meta, 'key metadata');
  const gen = meta.gen ?? 1;
  const next = meta.next;
  if (next === undefined) return;
  if (typeof next !== 'object' || next === null || Array.isArray(next))
    refuse('key metadata: next');
  const pending = next as Record<string, unknown>;
  checkSlot(pending, 'pending key');
  if (pending.gen !== (gen as number) + 1) refuse('pending key: gen');
}

function checkSlot(slot: Record<string, unknown>, what: string): void {
  if (typeof slot.mode !== 'string' || !MODES.includes(slot.mode)) refuse(`${what}: mode`);
  if (slot.gen !== undefined) {
    const gen = slot.gen;
    if (typeof gen !== 'number' || !Number.isSafeInteger(gen) || gen < 1 || gen > MAX_GENERATION)
      refuse(`${what}: gen`);
  }
  if (slot.iterations !== undefined && !validIterations(slot.iterations))
    refuse(`${what}: iterations`);
  for (const [field, [min, max]] of Object.entries(BYTES)) {
    const value = slot[field];
    if (value === undefined) continue;
    const bytes = typeof value === 'string' ? decodedLength(value) : -1;
    if (bytes < min || bytes > max) refuse(`${what}: ${field}`);
  }
  if (slot.verifier === undefined) refuse(`${what}: verifier`);
  if (slot.mode === 'password' && slot.salt === undefined) refuse(`${what}: salt`);
  if (slot.mode === 'wrapped' && slot.wrapped === undefined) refuse(`${what}: wrapped`);
}

/** Bytes `text` decodes to as standard base64, or -1 when it is not base64 (checked before decoding, bounded). */
function decodedLength(text: string): number {
  if (text.length > 1024 || !BASE64.test(text)) return -1;
  return (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
}

/** Throws the `CORRUPT_RECORD` of metadata outside the bounds, naming the field only. */
export function refuse(field: string): never {
  throw new StrataError(
    'CORRUPT_RECORD',
    `The stored key metadata is out of bounds (${field}) and was left as it is: restore it, or remove it to start over (losing the items under it).`,
  );
}
