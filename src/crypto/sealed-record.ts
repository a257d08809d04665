import { StrataError } from '../errors.js';
import type { StoredRecord } from '../record.js';

/** What a sealed record's ciphertext holds: the value's JSON text and its tags (never stored beside it). */
export interface OpenedRecord {
  text: string;
  tags: string[] | undefined;
}

/** Plaintext is padded to a multiple of this many characters, so the stored size tells only a range. */
const PAD = 64;

/**
 * The additional data of a sealed record: its key and every header field (format version,
 * write stamp, expiry, ttl, sliding flag). A header changed on disk, or a record moved to
 * another key, fails to decrypt; the key generation is bound by the key itself.
 */
export function sealContext(key: string, record: StoredRecord): string {
  const header = [record.v, record.u, record.w, record.e ?? 0, record.t ?? 0, record.s ?? 0];
  return `${key}\u0000${JSON.stringify(header)}`;
}

/** The plaintext sealed for a record: its tags as JSON, a newline, the value's JSON text, padding. */
export function packRecord(text: string, tags: readonly string[] | undefined): string {
  const body = `${JSON.stringify(tags ?? [])}\n${text}`;
  return body.padEnd(Math.ceil((body.length + 1) / PAD) * PAD, ' ');
}

/** Reads {@link packRecord} output (JSON text never ends in a space, so the padding trims off). */
export function unpackRecord(plain: string, key: string): OpenedRecord {
  const newline = plain.indexOf('\n');
  let tags: unknown;
  try {
    tags = newline > 0 ? JSON.parse(plain.slice(0, newline)) : undefined;
  } catch {
    tags = undefined;
  }
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string'))
    throw new StrataError(
      'CORRUPT_RECORD',
      'A sealed record decrypted to an unknown layout; it reads as null.',
      { key },
    );
  return { text: plain.slice(newline + 1).trimEnd(), tags: tags.length > 0 ? tags : undefined };
}
