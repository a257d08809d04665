import type { StoredRecord } from './record.js';

/** True when the record has an expiry at or before `now`. */
export function isExpired(record: Pick<StoredRecord, 'e'>, now: number): boolean {
  return record.e !== undefined && record.e <= now;
}

/** Milliseconds left, or null for a record without expiry. Never negative. */
export function timeLeft(record: Pick<StoredRecord, 'e'>, now: number): number | null {
  return record.e === undefined ? null : Math.max(0, record.e - now);
}

/**
 * Whether a sliding read should rewrite the record. Pushing the expiry by less than a
 * tenth of the TTL (at most 5 s) is skipped, so a hot key read in a loop does not
 * rewrite storage or wake other tabs on every read. `left` is the time left (by default by
 * the wall clock).
 */
export function shouldSlide(
  record: Pick<StoredRecord, 'e' | 't' | 's'>,
  now: number,
  left = record.e === undefined ? undefined : record.e - now,
): boolean {
  if (record.s !== 1 || record.t === undefined || left === undefined) return false;
  const gain = record.t - left;
  return gain > Math.min(record.t * 0.1, 5_000);
}

/** Checks a TTL given by a caller: a positive finite number of milliseconds. */
export function isValidTtl(ttl: unknown): ttl is number {
  return typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0;
}
