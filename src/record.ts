import { StrataError } from './errors.js';
import type { WriteStamp } from './write-clock.js';

/**
 * Format version written by this build. Records of a newer version are never read or
 * overwritten by sweeps. Version 2 seals the header into the AEAD and the tags into the
 * ciphertext; a sealed record of version 1 is refused (its header is not authenticated).
 */
export const RECORD_VERSION = 2;

/**
 * What an adapter stores for one key: the envelope. Short field names keep Web Storage
 * small. `p` is the value's JSON text, or, when `x` is set, base64 of IV ‖ AES-GCM
 * ciphertext. A sealed record's tags are inside its ciphertext (see crypto/sealed-record.ts), never beside it.
 */
export interface StoredRecord extends WriteStamp {
  /** Format version. */
  v: number;
  /** Payload: JSON text, or base64 ciphertext when `x` is 1. */
  p: string;
  /** 1 when `p` is ciphertext. */
  x?: 1;
  /** Expiry, epoch ms. */
  e?: number;
  /** TTL in ms, kept for sliding and extendTTL. */
  t?: number;
  /** 1 when the expiry slides on read. */
  s?: 1;
  /** Tags of a clear record (a sealed record keeps them inside `p`). */
  g?: string[];
}

/** A new envelope for JSON `text` written at `now`, expiring `ttl` ms later when given. */
export function newRecord(
  text: string,
  stamp: WriteStamp,
  now: number,
  ttl: number | undefined,
  sliding: boolean,
): StoredRecord {
  const record: StoredRecord = { v: RECORD_VERSION, p: text, ...stamp };
  if (ttl !== undefined) {
    record.e = now + ttl;
    record.t = ttl;
    if (sliding) record.s = 1;
  }
  return record;
}

/** Web Storage layout: a short JSON header line, then the payload as is (no double escaping). */
export function encodeRecordText(record: StoredRecord): string {
  const header = [
    record.v,
    record.u,
    record.w,
    record.x ?? 0,
    record.e ?? 0,
    record.t ?? 0,
    record.s ?? 0,
    record.g ?? 0,
  ];
  return `${JSON.stringify(header)}\n${record.p}`;
}

/** Parses {@link encodeRecordText} output; throws `CORRUPT_RECORD` on anything else. */
export function decodeRecordText(text: string, key?: string): StoredRecord {
  const newline = text.indexOf('\n');
  if (newline < 0) throw corrupt(key);
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, newline));
  } catch (cause) {
    throw corrupt(key, cause);
  }
  if (!Array.isArray(header) || header.length < 8) throw corrupt(key);
  const [v, u, w, x, e, t, s, g] = header as unknown[];
  if (typeof v !== 'number' || !isWriteTime(u) || typeof w !== 'string') throw corrupt(key);
  const record: StoredRecord = { v, u, w, p: text.slice(newline + 1) };
  if (x === 1) record.x = 1;
  if (typeof e === 'number' && e > 0) record.e = e;
  if (typeof t === 'number' && t > 0) record.t = t;
  if (s === 1) record.s = 1;
  if (Array.isArray(g) && g.every((tag) => typeof tag === 'string')) record.g = g as string[];
  return record;
}

/** Validates a record read from IndexedDB or a sync message (both may hold anything). */
export function assertRecord(value: unknown, key?: string): asserts value is StoredRecord {
  if (typeof value !== 'object' || value === null) throw corrupt(key);
  const r = value as Partial<Record<keyof StoredRecord, unknown>>;
  const ok =
    typeof r.v === 'number' &&
    typeof r.p === 'string' &&
    isWriteTime(r.u) &&
    typeof r.w === 'string' &&
    (r.x === undefined || r.x === 1) &&
    (r.e === undefined || Number.isFinite(r.e)) &&
    (r.t === undefined || Number.isFinite(r.t)) &&
    (r.s === undefined || r.s === 1) &&
    (r.g === undefined || (Array.isArray(r.g) && r.g.every((tag) => typeof tag === 'string')));
  if (!ok) throw corrupt(key);
}

/**
 * A stored write stamp this build can order: a finite time in ms, 0 up to 2^53 - 1 (so
 * `+ 1` still counts). NaN, Infinity or 1e308 would otherwise freeze or poison ordering.
 */
export function isWriteTime(u: unknown): u is number {
  return typeof u === 'number' && u >= 0 && u <= Number.MAX_SAFE_INTEGER;
}

/** The latest time `Date` holds: another tab's stamp beyond it is refused, so this tab's clock, which follows it, stays far below 2^53. */
export const LATEST_STAMP = 8.64e15;

/** True when the record's format is newer than this build understands. */
export function isFutureRecord(record: StoredRecord): boolean {
  return record.v > RECORD_VERSION;
}

function corrupt(key: string | undefined, cause?: unknown): StrataError {
  const options: { cause?: unknown; key?: string } = {};
  if (cause !== undefined) options.cause = cause;
  if (key !== undefined) options.key = key;
  return new StrataError(
    'CORRUPT_RECORD',
    'A stored record is malformed; it reads as null and is left in place.',
    options,
  );
}
