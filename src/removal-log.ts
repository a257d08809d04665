import { hasAnyTag } from './adapters/memory.js';
import type { StoredRecord } from './record.js';
import { compareWrites, type WriteStamp } from './write-clock.js';

/** How long removals are remembered, so a late cross-tab write older than one is not resurrected. */
const TOMBSTONE_MS = 120_000;
/** How long another tab's write may take to show in this tab's localStorage. */
export const LAG_WINDOW_MS = 1_000;
/** Distinct clear filters remembered at once (each kept for the tombstone window). */
const MAX_REMEMBERED_CLEARS = 1_000;

interface ClearMark extends WriteStamp {
  prefix: string;
  tags: string[] | undefined;
}

/** Removals and clears this instance made or heard of, with their stamps. Pure: no storage, no timers. */
export class RemovalLog {
  readonly #tombstones = new Map<string, WriteStamp>();
  #clears: ClearMark[] = [];

  /** Remembers that `key` was removed at `stamp`. */
  remove(key: string, stamp: WriteStamp): void {
    this.#tombstones.set(key, stamp);
  }

  /**
   * A clear covers keys the clearing tab did not hold yet: a write from a third tab that is
   * older than the clear but arrives after it must not survive here while it is gone there.
   */
  clear(prefix: string, tags: string[] | undefined, stamp: WriteStamp, now: number): void {
    const filter = tags && [...tags].sort().join('\n');
    const same = (c: ClearMark) =>
      c.prefix === prefix && (c.tags && [...c.tags].sort().join('\n')) === filter;
    // One mark per filter: the newest covers all an older one did, so a burst never evicts one still needed.
    const kept = this.#clears.filter(
      (c) => c.u > now - TOMBSTONE_MS && !(same(c) && compareWrites(c, stamp) <= 0),
    );
    if (!kept.some(same)) kept.push({ prefix, tags, ...stamp });
    this.#clears = kept.slice(-MAX_REMEMBERED_CLEARS);
  }

  /** Whether a removal or clear known here is newer than `record`: a stale copy, or a late write. */
  removedSince(key: string, record: StoredRecord): boolean {
    const tomb = this.#tombstones.get(key);
    return (
      (tomb !== undefined && compareWrites(record, tomb) <= 0) ||
      this.#clears.some(
        (c) =>
          key.startsWith(c.prefix) &&
          (c.tags === undefined || hasAnyTag(record, c.tags)) &&
          compareWrites(record, c) <= 0,
      )
    );
  }

  /** Whether `key` has a tombstone, or falls under a clear of the last {@link LAG_WINDOW_MS}. */
  recentlyRemoved(key: string, now: number): boolean {
    return (
      this.#tombstones.has(key) ||
      this.#clears.some((c) => now - c.u < LAG_WINDOW_MS && key.startsWith(c.prefix))
    );
  }

  /** Forgets tombstones past the window once there are many. */
  prune(now: number): void {
    if (this.#tombstones.size < 1_000) return;
    for (const [key, stamp] of this.#tombstones)
      if (now - stamp.u > TOMBSTONE_MS) this.#tombstones.delete(key);
  }
}
