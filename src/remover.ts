import type { Reader } from './reader.js';
import type { StoredRecord } from './record.js';
import type { StoreContext } from './store-context.js';
import type { SyncMessage } from './sync/messages.js';
import { keysTagged } from './tags.js';
import type { WriteStamp } from './write-clock.js';

/** Removes items from every layer, notifies, remembers and broadcasts the removal. */
export class Remover {
  readonly #ctx: StoreContext;
  readonly #reader: Reader;

  constructor(ctx: StoreContext, reader: Reader) {
    this.#ctx = ctx;
    this.#reader = reader;
  }

  /** Removes keys; `expired` sweeps remove only what is still expired. */
  async remove(keys: string[], expired: boolean): Promise<void> {
    const { stamp, removed } = await this.#ctx.serially(async () => {
      const stamp = this.#ctx.clock.stamp(this.#ctx.now());
      return { stamp, removed: await this.#deleteEverywhere(keys, stamp, expired) };
    });
    if (removed.length > 0 || !expired)
      this.#ctx.post({ kind: 'remove', keys: expired ? removed : keys, ...stamp, expired });
  }

  /** Deletes every expired item now; resolves to how many there were. */
  async sweep(): Promise<number> {
    const now = this.#ctx.now();
    const keys = new Set<string>();
    await this.#ctx.chain.each(async (layer) => {
      for (const key of await layer.expiredKeys(now)) keys.add(key);
    });
    if (keys.size > 0) await this.remove([...keys], true);
    return keys.size;
  }

  /** Removes the items under `prefix` (`''`: all), only those carrying one of `tags` when given. */
  async clear(prefix: string, tags: string[] | undefined, announcePrefix: boolean): Promise<void> {
    const { chain, clock, removals } = this.#ctx;
    const everything = tags === undefined && prefix === '';
    const { stamp, removed } = await this.#ctx.serially(async () => {
      const keys = new Set<string>();
      await chain.each(async (layer) => {
        const found = everything
          ? await layer.allKeys()
          : tags
            ? await keysTagged(this.#ctx, this.#reader, layer, tags, prefix)
            : await layer.keys(prefix, Number.NEGATIVE_INFINITY);
        for (const key of found) keys.add(key);
      });
      const now = this.#ctx.now();
      const stamp = clock.stamp(now);
      removals.clear(prefix, tags, stamp, now);
      const range = tags === undefined ? prefix : undefined;
      return { stamp, removed: await this.#deleteEverywhere([...keys], stamp, false, range) };
    });
    const msg: SyncMessage = { kind: 'clear', keys: removed, ...stamp };
    if (announcePrefix) msg.prefix = prefix;
    if (tags) msg.tags = tags;
    this.#ctx.post(msg);
  }

  /**
   * Deletes keys from every layer (expired-only when `onlyExpired`), records tombstones,
   * updates the cache and tells local subscribers. Returns the keys actually removed.
   */
  async #deleteEverywhere(
    keys: string[],
    stamp: WriteStamp,
    onlyExpired: boolean,
    range?: string,
  ): Promise<string[]> {
    const { chain, cache, removals, subscribers } = this.#ctx;
    const watched = keys.filter((key) => subscribers.watches(key));
    const oldValues = new Map<string, unknown>();
    for (const key of watched)
      oldValues.set(key, await this.#reader.valueOf(key).catch(() => null));
    const now = this.#ctx.now();
    const { deadlines } = this.#ctx;
    const expired = (key: string, record: StoredRecord) => deadlines.expired(key, record, now);
    const { removed, ranged } = await chain.delete(keys, { onlyExpired, range, now, expired });
    // A range delete may take keys written since the listing: the whole cache goes.
    if (ranged) cache.invalidateAll();
    for (const key of keys) {
      cache.invalidate(key);
      if (removed.has(key)) deadlines.forget(key);
      if (!onlyExpired || removed.has(key)) removals.remove(key, stamp);
    }
    removals.prune(now);
    for (const key of watched) {
      if (onlyExpired && !removed.has(key)) continue;
      const oldValue = oldValues.get(key) ?? null;
      subscribers.emit({ key, oldValue, newValue: null, source: 'local' });
    }
    return onlyExpired ? [...removed] : keys;
  }
}
