import type { StorageAdapter } from '../adapters/adapter.js';
import { deserialize, serialize } from '../codec/serialize.js';
import { StrataError, toStorageError } from '../errors.js';
import { ReadCache } from '../read-cache.js';
import { NO_CACHE } from '../record-cache.js';
import { LAG_WINDOW_MS } from '../removal-log.js';
import type { Reader } from '../reader.js';
import type { StoreContext } from '../store-context.js';
import { keysTagged } from '../tags.js';
import type { TimerHandle } from '../timers.js';
import { isExpired } from '../ttl.js';
import { compareWrites } from '../write-clock.js';
import { SyncChannel } from './channel.js';
import { MessageSeal } from './message-seal.js';
import type { SyncMessage } from './messages.js';
import type { ChannelTransportFactory } from './transport.js';

const CACHE_LIMIT = 5_000;
/** How far ahead of this tab's clock another tab's write stamp may be. */
const MAX_STAMP_AHEAD_MS = 60 * 60_000;
/** Checks, one lag window apart, that a differing localStorage value must stay the same over. */
const STABLE_CHECKS = 3;

/** What a settle check saw: the stored write (`''`: none) and how many checks in a row saw it. */
interface Seen {
  stamp: string;
  checks: number;
}

/**
 * Opens the sync channel of an instance and applies what other tabs send, one change at a
 * time, in arrival order. Turns the read cache on, which is only correct while every other
 * tab's change reaches this one. Undefined (reported) when no channel opens.
 */
export async function connectReplica(
  ctx: StoreContext,
  reader: Reader,
  options: { name: string; namespace: string; fallback: ChannelTransportFactory | undefined },
  isClosed: () => boolean,
): Promise<SyncChannel | undefined> {
  const replica = new Replica(ctx, reader, isClosed);
  const onMessage = (msg: SyncMessage): void =>
    void ctx
      .serially(() => (isClosed() ? Promise.resolve() : replica.apply(msg)))
      .catch((error: unknown) => ctx.report(toStorageError(error, 'Applying a cross-tab change')));
  ctx.cache = new ReadCache(CACHE_LIMIT);
  let channel: SyncChannel | undefined;
  try {
    channel = await SyncChannel.open(
      options.name,
      options.namespace,
      ctx.clock.id,
      {
        onMessage,
        onInvalid: (error) => ctx.report(error),
        onPost: (msg) => replica.posted(msg),
        onClose: () => replica.close(),
      },
      options.fallback,
      ctx.sealedSync ? messageSeal(ctx) : undefined,
    );
  } catch (error) {
    ctx.cache = NO_CACHE;
    ctx.report(toStorageError(error, 'Opening the sync.fallback channel (cross-tab sync is off)'));
    return undefined;
  }
  if (channel) return channel;
  ctx.cache = NO_CACHE;
  ctx.report(
    new StrataError(
      'STORAGE_UNAVAILABLE',
      'This browser has no BroadcastChannel and no sync.fallback was given: cross-tab sync is off.',
    ),
  );
  return undefined;
}

/** Seals this namespace's messages under a key derived from its own. */
function messageSeal(ctx: StoreContext): MessageSeal {
  return new MessageSeal({
    seal: async (text, context) => (await ctx.key()).sealMessage(text, context),
    open: async (sealed, context) => (await ctx.key()).openMessage(sealed, context),
  });
}

type ClearMessage = Extract<SyncMessage, { kind: 'clear' }>;
type RemovalMessage = Extract<SyncMessage, { kind: 'remove' | 'clear' }>;

/**
 * Applies changes from other tabs to this instance. Per-tab layers (memory, sessionStorage)
 * take a change when it is newer than what they hold (last writer wins) and than any
 * removal seen since; shared layers already hold it, so only the cache drops its copy.
 * Subscribers hear it with `source: 'remote'`.
 */
export class Replica {
  readonly #ctx: StoreContext;
  readonly #reader: Reader;
  readonly #isClosed: () => boolean;
  /** The settle checks due, by key: each a lag window after the key's last change here. */
  readonly #settling = new Map<string, TimerHandle>();

  constructor(ctx: StoreContext, reader: Reader, isClosed: () => boolean = () => false) {
    this.#ctx = ctx;
    this.#reader = reader;
    this.#isClosed = isClosed;
  }

  apply(msg: SyncMessage): Promise<void> {
    // Tabs share one clock: a stamp far ahead of it is forged, and would drag this tab's clock along.
    if ((msg.kind === 'set' ? msg.record.u : msg.u) > this.#ctx.now() + MAX_STAMP_AHEAD_MS) {
      this.#ctx.report(
        new StrataError(
          'INVALID_MESSAGE',
          'Ignored a cross-tab message stamped far in the future.',
        ),
      );
      return Promise.resolve();
    }
    return msg.kind === 'set' ? this.#applySet(msg) : this.#applyRemoval(msg);
  }

  /** Cancels the settle checks due: a closed instance tells nobody. */
  close(): void {
    for (const due of this.#settling.values()) this.#ctx.timers.clearTimeout(due);
    this.#settling.clear();
  }

  /**
   * This tab's own write to a shared layer is checked once writes settle too: a clear in
   * another tab can take it (a range delete listed before it landed) or hide it (a clear
   * stamped after it, landed before it) without naming it.
   */
  posted(msg: SyncMessage): void {
    const { chain, subscribers } = this.#ctx;
    if (msg.kind !== 'set' || this.#isClosed() || !subscribers.watches(msg.key)) return;
    if (chain.adapters.some((layer) => layer.shared && layer.kind === msg.layer))
      this.#settle(msg.key);
  }

  async #applySet({ key, layer: kind, record }: Extract<SyncMessage, { kind: 'set' }>) {
    const { chain, cache, subscribers } = this.#ctx;
    const text = await this.#reader.plaintext(key, record, kind);
    if (text === undefined) {
      cache.invalidate(key); // forged, or sealed with a key this tab lacks: nothing cached is trusted
      return;
    }
    this.#ctx.clock.observe(record.u);
    if (this.#ctx.removals.removedSince(key, record)) return;
    const oldValue = this.#lastSeen(key);
    cache.invalidate(key);
    // localStorage may show this tab the write after the message: cache the message's record.
    const lagging = chain.adapters.findIndex(
      (layer) => layer.kind === 'localStorage' && kind === 'localStorage',
    );
    if (lagging >= 0)
      cache.set(key, { record, layer: chain.ref(lagging), text, heardAt: performance.now() });
    const target = chain.adapters.findIndex((layer) => !layer.shared && layer.kind === kind);
    if (target >= 0) {
      const layer = chain.adapters[target] as StorageAdapter;
      const local = await layer.read(key).catch(() => undefined);
      const order = local ? compareWrites(record, local) : 1;
      if (order < 0) return;
      // Equal: another instance of this tab (sharing its per-tab stores) wrote it; still news here.
      if (order > 0) {
        await layer.write(key, record);
        chain.markOccupied(target);
      }
    }
    // An older copy in another per-tab layer (the write fell back past it) must not shadow this one.
    for (const [index, layer] of chain.adapters.entries()) {
      if (layer.shared || index === target || !chain.occupied(index)) continue;
      const older = await layer.read(key).catch(() => undefined);
      if (older && compareWrites(older, record) < 0) await layer.delete(key);
    }
    if (subscribers.watches(key)) {
      const newValue = isExpired(record, this.#ctx.now())
        ? null
        : await this.#reader.decode(key, record, kind, text);
      if (chain.adapters.some((layer) => layer.shared && layer.kind === kind)) this.#settle(key);
      subscribers.emit({ key, oldValue, newValue, source: 'remote' });
    }
  }

  async #applyRemoval(msg: RemovalMessage): Promise<void> {
    const { chain, cache, removals, subscribers } = this.#ctx;
    const now = this.#ctx.now();
    this.#ctx.clock.observe(msg.u);
    const stamp = { u: msg.u, w: msg.w };
    if (msg.kind === 'clear') removals.clear(msg.prefix ?? '', msg.tags, stamp, now);
    // The sender's range delete may have taken keys it did not list: no cached read is sure.
    if (msg.kind === 'clear' && msg.tags === undefined) cache.invalidateAll();
    const expiry = msg.kind === 'remove' && msg.expired;
    const keys = new Set(msg.keys);
    const kept = new Set<string>(); // a per-tab copy newer than the removal stays, unannounced
    for (const layer of chain.adapters) {
      // Shared layers lost these keys with the sender's write; a lagging localStorage that
      // still shows them is skipped by reads (deleting could hit a newer write).
      if (layer.shared) continue;
      const candidates = msg.kind === 'remove' ? msg.keys : await this.#clearCandidates(layer, msg);
      for (const key of candidates) {
        const local = await layer.read(key).catch(() => undefined);
        if (!local) continue;
        if (expiry ? !isExpired(local, now) : compareWrites(local, stamp) >= 0) {
          kept.add(key);
          continue;
        }
        await layer.delete(key);
        keys.add(key);
      }
    }
    for (const key of keys) {
      const oldValue = this.#lastSeen(key);
      cache.invalidate(key);
      if (!expiry) removals.remove(key, stamp);
      if (subscribers.watches(key) && !kept.has(key)) {
        if (chain.adapters.some((layer) => layer.shared)) this.#settle(key);
        subscribers.emit({ key, oldValue, newValue: null, source: 'remote' });
      }
    }
    removals.prune(now);
  }

  /**
   * Two tabs writing a key of a shared store at once: the store keeps whichever write landed
   * last, which need not be the one this tab heard of last. Once writes have had time to
   * show everywhere (a lag window after the key's last change heard or made here: a check
   * due sooner could read the store before a clear in flight lands), subscribers are told
   * what the store holds if that differs from what they were last told, so every tab's last
   * notification is the stored value.
   */
  #settle(key: string, seen?: Seen): void {
    const { subscribers, timers } = this.#ctx;
    const due = this.#settling.get(key);
    if (due !== undefined) timers.clearTimeout(due);
    subscribers.follow(key);
    const check = (): void => {
      this.#settling.delete(key);
      void this.#ctx
        .serially(() => this.#verify(key, seen))
        .catch((error: unknown) => this.#ctx.report(toStorageError(error, 'Settling a change')))
        .finally(() => {
          if (!this.#settling.has(key)) subscribers.unfollow(key); // unless settling again
        });
    };
    this.#settling.set(key, timers.setTimeout(check, LAG_WINDOW_MS));
  }

  /**
   * localStorage may show another tab's write late, so a stored value that differs from what
   * was told counts only once it stayed the same over {@link STABLE_CHECKS} checks.
   */
  async #verify(key: string, seen: Seen | undefined): Promise<void> {
    const { chain, removals, subscribers, cache } = this.#ctx;
    const told = subscribers.told(key);
    if (this.#isClosed() || !told || !subscribers.watches(key)) return;
    const count = told.count;
    const found = await chain.find(key, (record) => removals.removedSince(key, record));
    const stamp = found ? `${found.record.u}/${found.record.w}` : '';
    const checks = seen?.stamp === stamp ? seen.checks + 1 : 1;
    let value: unknown = null;
    if (found && !isExpired(found.record, this.#ctx.now())) {
      const text = await this.#reader.plaintext(key, found.record, found.layer.kind);
      if (text === undefined) return; // unreadable here: nothing truer to tell
      try {
        value = deserialize(text);
      } catch {
        return;
      }
    }
    // A change told meanwhile is newer than this read.
    if (told.count !== count || sameValue(value, told.value)) return;
    const lagging = chain.adapters.some((layer) => layer.kind === 'localStorage');
    if (lagging && checks < STABLE_CHECKS) {
      this.#settle(key, { stamp, checks });
      return;
    }
    cache.invalidate(key);
    subscribers.emit({ key, oldValue: told.value, newValue: value, source: 'remote' });
  }

  /** The keys of a per-tab layer a clear message covers. */
  #clearCandidates(layer: StorageAdapter, msg: ClearMessage): Promise<string[]> {
    const prefix = msg.prefix ?? '';
    if (msg.tags) return keysTagged(this.#ctx, this.#reader, layer, msg.tags, prefix);
    if (prefix === '') return layer.allKeys();
    return layer.keys(prefix, Number.NEGATIVE_INFINITY);
  }

  /** The value this tab last saw for a key changed elsewhere: known only when cached. */
  #lastSeen(key: string): unknown {
    const cached = this.#ctx.cache.peek(key);
    if (!cached) return null;
    try {
      return deserialize(cached.text);
    } catch {
      return null;
    }
  }
}

/** Whether two values are the same as stored (JSON-like, Dates and the codec's types included). */
function sameValue(a: unknown, b: unknown): boolean {
  try {
    return serialize(a, '') === serialize(b, '');
  } catch {
    return false;
  }
}
