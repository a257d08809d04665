import { randomHex } from '../codec/base64.js';
import { StrataError } from '../errors.js';
import { resolveTimers } from '../timers.js';
import type { StrataLike } from './strata-like.js';

/** Options of {@link RetryQueue}. */
export interface RetryQueueOptions {
  /** Where the entries live: a `Strata` (or any {@link StrataLike}). */
  storage: StrataLike;
  /** Key prefix of the entries. Default `'retry-queue:'`. */
  prefix?: string;
  /** Entries older than this (ms) are dropped. Default 7 days. */
  maxAge?: number;
  /**
   * Tags of every entry, for `strata.clear({ tags })` (e.g. `['auth']`: a logout drops them).
   * Default: none.
   */
  tags?: string[];
  /** Wall-clock time in epoch ms. Default `Date.now`. */
  clock?: () => number;
}

/** One queued item with its storage key and the time it was queued. */
export interface QueuedItem<T> {
  key: string;
  queuedAt: number;
  item: T;
}

const WEEK = 7 * 24 * 60 * 60 * 1000;

/**
 * A durable FIFO kept in a `Strata`: one key per entry (so tabs appending at once
 * never overwrite each other), each with a `maxAge` TTL, so it survives reloads and an
 * entry older than `maxAge` (default 7 days) is dropped rather than retried forever.
 */
export class RetryQueue<T> {
  readonly #storage: StrataLike;
  readonly #prefix: string;
  readonly #maxAge: number;
  readonly #clock: () => number;
  readonly #tags: string[] | undefined;
  #sequence = 0;

  constructor(options: RetryQueueOptions) {
    if (typeof options?.storage?.get !== 'function')
      throw new StrataError('INVALID_OPTIONS', 'RetryQueue needs { storage: Strata }.');
    const prefix = options.prefix ?? 'retry-queue:';
    if (typeof prefix !== 'string' || prefix === '' || prefix.includes('*'))
      throw new StrataError(
        'INVALID_OPTIONS',
        'The queue prefix must be a non-empty string without "*".',
      );
    if (options.maxAge !== undefined && !(Number.isFinite(options.maxAge) && options.maxAge > 0))
      throw new StrataError('INVALID_OPTIONS', 'maxAge must be a positive number of milliseconds.');
    this.#storage = options.storage;
    this.#prefix = prefix;
    this.#maxAge = options.maxAge ?? WEEK;
    this.#clock = resolveTimers(options).now;
    this.#tags = options.tags && options.tags.length > 0 ? [...options.tags] : undefined;
  }

  /** Appends an item; resolves once it is stored. */
  async push(item: T): Promise<void> {
    const now = this.#clock();
    // Keys sort by time, then by this instance's counter, then randomly across tabs.
    const key = `${this.#prefix}${String(now).padStart(15, '0')}:${String(this.#sequence++).padStart(6, '0')}:${randomHex(6)}`;
    await this.#storage.set(
      key,
      { queuedAt: now, item },
      this.#tags ? { ttl: this.#maxAge, tags: this.#tags } : { ttl: this.#maxAge },
    );
  }

  /** Up to `limit` oldest entries, after deleting those older than `maxAge`. */
  async peek(limit = Number.POSITIVE_INFINITY): Promise<QueuedItem<T>[]> {
    const now = this.#clock();
    const out: QueuedItem<T>[] = [];
    for (const key of await this.#storage.keys(this.#prefix)) {
      if (out.length >= limit) break;
      const entry = await this.#storage.get<{ queuedAt: number; item: T }>(key);
      if (entry === null) continue;
      if (typeof entry.queuedAt !== 'number' || now - entry.queuedAt > this.#maxAge) {
        await this.#storage.remove(key);
        continue;
      }
      out.push({ key, queuedAt: entry.queuedAt, item: entry.item });
    }
    return out;
  }

  /** Removes delivered entries. */
  async remove(entries: readonly QueuedItem<T>[]): Promise<void> {
    for (const entry of entries) await this.#storage.remove(entry.key);
  }

  /** How many entries are queued (expired ones included until the next {@link peek}). */
  async size(): Promise<number> {
    return (await this.#storage.keys(this.#prefix)).length;
  }

  /** Drops every entry. */
  async clear(): Promise<void> {
    await this.#storage.clear({ prefix: this.#prefix });
  }
}
