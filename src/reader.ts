import { deserialize } from './codec/serialize.js';
import type { OpenedRecord as Opened } from './crypto/sealed-record.js';
import { StrataError, toStorageError } from './errors.js';
import type { LayerRef } from './layer-chain.js';
import type { StoredRecord } from './record.js';
import type { StoreContext } from './store-context.js';
import type { KeyPattern } from './keys.js';
import { shouldSlide } from './ttl.js';
import type { StorageKind } from './types.js';
import { compareWrites } from './write-clock.js';

/** A record found for a key, where, and its decoded text when the cache had it. */
export interface Found {
  record: StoredRecord;
  layer: LayerRef;
  text?: string;
  /** The record opened, when {@link Reader.verified} just decrypted it (tags included). */
  opened?: Opened;
  /** Cache ticket taken before the read: a fill with it is dropped if the key changed since. */
  ticket: number;
}

/** Finds, decrypts and decodes records: through the cache, skipping what a removal made stale. */
export class Reader {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** The record of `key` in the first layer holding it (through the cache when on). */
  async find(key: string): Promise<Found | undefined> {
    const { cache, chain, removals } = this.#ctx;
    const ticket = cache.ticket(key);
    const hit = cache.lookup(key, chain.readAt);
    const cached = hit instanceof Promise ? await hit : hit;
    if (cached) return { record: cached.record, layer: cached.layer, text: cached.text, ticket };
    const found = await chain.find(key, (record) => removals.removedSince(key, record));
    return found && { record: found.record, layer: found.layer, ticket };
  }

  /** The record of `key` when it is there and unexpired. */
  async live(key: string): Promise<Found | undefined> {
    const found = await this.find(key);
    return found && !this.#ctx.deadlines.expired(key, found.record, this.#ctx.now())
      ? found
      : undefined;
  }

  /** {@link live}, and trusted: a sealed record that does not open (tampered) is not there. */
  async verified(key: string): Promise<Found | undefined> {
    const found = await this.live(key);
    if (!found || found.text !== undefined) return found; // cached text was opened when cached
    const opened = await this.open(key, found.record, found.layer.kind);
    if (!opened) return undefined;
    // Cached, so has/getTTL/info on a sealed item decrypt once, not on every call.
    this.#ctx.cache.fill(key, found.ticket, {
      record: found.record,
      layer: found.layer,
      text: opened.text,
    });
    return { ...found, text: opened.text, opened };
  }

  /**
   * The value of an unexpired record found for `key`: decrypted and parsed (`null`, reported,
   * when unreadable), its sliding expiry pushed, its decoded text cached.
   */
  async value(key: string, found: Found, now: number): Promise<unknown> {
    const { record } = found;
    const text =
      found.text ??
      this.#clearText(record, found.layer.kind) ??
      (await this.plaintext(key, record, found.layer.kind));
    if (text === undefined) return null;
    let value: unknown;
    try {
      value = deserialize(text);
    } catch (cause) {
      this.#ctx.report(
        new StrataError(
          'CORRUPT_RECORD',
          'A stored value is not valid JSON; it reads as null, left in place.',
          { cause, key },
        ),
      );
      return null;
    }
    if (
      record.s === 1 &&
      shouldSlide(record, now, this.#ctx.deadlines.left(key, record, now) ?? undefined)
    )
      await this.#slide(key, found, now, text);
    else if (found.text === undefined)
      this.#ctx.cache.fill(key, found.ticket, { record, layer: found.layer, text });
    return value;
  }

  /** The unexpired keys matching `pattern`, sorted; a copy a removal made stale is not listed. */
  async list(pattern: KeyPattern): Promise<string[]> {
    const { chain, removals } = this.#ctx;
    const now = this.#ctx.now();
    const found = new Set<string>();
    await chain.each(async (layer) => {
      for (const key of await layer.keys(pattern.prefix, now)) {
        if (!pattern.matches(key)) continue;
        // A key removed here lately may still be listed by a lagging localStorage: check its write.
        if (removals.recentlyRemoved(key, now)) {
          const record = await layer.read(key).catch(() => null); // unreadable: listed, as before
          if (record === undefined || (record && removals.removedSince(key, record))) continue;
        }
        found.add(key);
      }
    });
    // Items whose deadline on this page's clock passed, though the wall clock says otherwise.
    for (const key of this.#ctx.deadlines.passed()) {
      if (!found.has(key)) continue;
      const record = (await this.find(key))?.record;
      if (record && this.#ctx.deadlines.expired(key, record, now)) found.delete(key);
    }
    return [...found].sort();
  }

  /**
   * The value text and tags of a record, opened when sealed; a `StrataError` when it cannot
   * be trusted: tampered, of a key not held, or clear where only sealed records are kept
   * (an encrypted namespace, the `'secure'` layer), which is how a downgrade would look.
   */
  async opened(
    key: string,
    record: StoredRecord,
    kind: StorageKind,
  ): Promise<Opened | StrataError> {
    if (record.x !== 1) {
      if (this.#clearText(record, kind) !== undefined) return { text: record.p, tags: record.g };
      return new StrataError(
        'DECRYPT_FAILED',
        'A clear record where only encrypted ones are kept reads as null.',
        { key },
      );
    }
    try {
      return await (await this.#ctx.key()).open(key, record);
    } catch (error) {
      return error instanceof StrataError
        ? new StrataError(error.code, error.message, { cause: error.cause, key })
        : toStorageError(error, 'Decrypting', key);
    }
  }

  /** The text of a clear record where clear records are kept; `undefined` otherwise. */
  #clearText(record: StoredRecord, kind: StorageKind): string | undefined {
    return record.x !== 1 && !this.#ctx.sealedOnly && kind !== 'secure' ? record.p : undefined;
  }

  /** {@link opened}, with an untrusted record reported and read as `undefined`. */
  async open(key: string, record: StoredRecord, kind: StorageKind): Promise<Opened | undefined> {
    const opened = await this.opened(key, record, kind);
    if (!(opened instanceof StrataError)) return opened;
    this.#ctx.report(opened);
    return undefined;
  }

  /** The JSON text of a record (see {@link open}). */
  async plaintext(
    key: string,
    record: StoredRecord,
    kind: StorageKind,
  ): Promise<string | undefined> {
    return (await this.open(key, record, kind))?.text;
  }

  /** The value of a record for change events; `null` when unreadable. */
  async decode(
    key: string,
    record: StoredRecord,
    kind: StorageKind,
    text?: string,
  ): Promise<unknown> {
    const plain = text ?? (await this.plaintext(key, record, kind));
    if (plain === undefined) return null;
    try {
      return deserialize(plain);
    } catch {
      return null;
    }
  }

  /** The current value of `key` for change events; `null` when missing or unreadable. */
  async valueOf(key: string): Promise<unknown> {
    const found = await this.live(key);
    return found ? this.decode(key, found.record, found.layer.kind, found.text) : null;
  }

  /** A sealed record's new header sealed with its opened contents (the header is in the AEAD). */
  async reseal(key: string, header: StoredRecord, opened: Opened): Promise<StoredRecord> {
    const record: StoredRecord = { ...header, p: opened.text };
    delete record.x;
    if (opened.tags) record.g = opened.tags;
    await (await this.#ctx.key()).seal(key, record);
    return record;
  }

  /**
   * Pushes a sliding item's expiry to now + ttl in the layer holding it (not broadcast:
   * other tabs slide on their own reads). Only over the very write that was read, between
   * remote changes: a slide never brings back what another tab removed or replaced meanwhile.
   */
  async #slide(key: string, found: Found, now: number, text: string): Promise<void> {
    const { chain, cache, removals } = this.#ctx;
    const e = now + (found.record.t ?? 0);
    let record: StoredRecord = { ...found.record, e };
    const layer = chain.at(found.layer);
    await this.#ctx
      .serially(async () => {
        const stored = await layer.read(key);
        if (
          !stored ||
          compareWrites(stored, found.record) !== 0 ||
          removals.removedSince(key, stored)
        )
          return;
        if (stored.x === 1) {
          const opened = await this.open(key, stored, found.layer.kind);
          if (!opened) return;
          record = await this.reseal(key, { ...stored, e }, opened);
        }
        await layer.write(key, record);
        this.#ctx.deadlines.note(key, record, now);
        cache.fill(key, found.ticket, { record, layer: found.layer, text });
      })
      .catch((error: unknown) =>
        this.#ctx.report(toStorageError(error, `Sliding the expiry in ${layer.kind}`, key)),
      );
  }
}
