import type { StoredRecord } from './record.js';
import { isExpired, timeLeft } from './ttl.js';
import type { WriteStamp } from './write-clock.js';

/** Deadlines remembered at once; the oldest go first (their items then follow the wall clock). */
const LIMIT = 10_000;
/** Below this, the two clocks merely drift apart: the wall clock's answer stands. */
const SKEW_MS = 1_000;

/**
 * Expiry on the page's monotonic clock for the items this page wrote. The stored expiry is
 * wall-clock time, so a clock that was wrong when an item was set (a day ahead, then
 * corrected) would stretch its TTL; while the page lives, an item also expires `ttl` after it
 * was set or slid here, by a clock nobody can set. After a reload, the wall clock alone rules.
 */
export class Deadlines {
  readonly #monotonic: () => number;
  readonly #byKey = new Map<string, WriteStamp & { at: number }>();

  constructor(monotonic: () => number) {
    this.#monotonic = monotonic;
  }

  /** `record` was just written for `key` at wall time `now`. */
  note(key: string, record: StoredRecord, now: number): void {
    this.#byKey.delete(key);
    if (record.e === undefined) return;
    this.#byKey.set(key, { u: record.u, w: record.w, at: this.#monotonic() + (record.e - now) });
    if (this.#byKey.size > LIMIT) this.#byKey.delete(this.#byKey.keys().next().value as string);
  }

  forget(key: string): void {
    this.#byKey.delete(key);
  }

  /** Whether `record` of `key` expired by the wall clock, or by this page's clock when it wrote it. */
  expired(key: string, record: StoredRecord, now: number): boolean {
    return isExpired(record, now) || this.left(key, record, now) === 0;
  }

  /** Milliseconds left: the wall clock's answer, or this page's clock's when it says over a second less. */
  left(key: string, record: StoredRecord, now: number): number | null {
    const wall = timeLeft(record, now);
    if (wall === null) return null;
    const mono = this.#left(key, record);
    if (mono === undefined || mono > wall - SKEW_MS) return wall;
    return Math.max(0, Math.ceil(mono));
  }

  /** Keys whose deadline here has passed (their records still need checking: another tab may have rewritten them). */
  passed(): Set<string> {
    const mono = this.#monotonic();
    const out = new Set<string>();
    for (const [key, deadline] of this.#byKey) if (deadline.at <= mono) out.add(key);
    return out;
  }

  #left(key: string, record: StoredRecord): number | undefined {
    const deadline = this.#byKey.get(key);
    if (!deadline || deadline.u !== record.u || deadline.w !== record.w) return undefined;
    return deadline.at - this.#monotonic();
  }
}
