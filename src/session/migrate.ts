import { serialize } from '../codec/serialize.js';
import { StrataError } from '../errors.js';
import { TAGS_OF } from '../strata.js';
import type { ItemInfo } from '../types.js';
import { withLock } from '../sync/lock.js';
import type { StrataLike } from './strata-like.js';

/** Combines a guest value with the value the user already has under the same name. May be async. */
export type Merger = (guest: unknown, existing: unknown) => unknown;

/** Options of {@link migrateGuestToUser}. */
export interface MigrateOptions {
  /** Prefix of the guest keys. Default `'guest:'`. */
  from?: string;
  /** Prefix of the user's keys. Default `` id => `user:${id}:` ``. Must not start with `from`. */
  to?: (userId: string) => string;
  /**
   * Mergers by key name (the key without its prefix, e.g. `'cart'`), used when the user
   * already holds a value under that name. A name without a merger keeps the user's value
   * ({@link preferExisting}, as suits preferences).
   */
  merge?: Record<string, Merger>;
  /** Merger for names missing from `merge`. Default {@link preferExisting}. */
  defaultMerge?: Merger;
  /**
   * Tags added to the migrated items (a list, or per name), beside the tags they already carry.
   * Default: none.
   */
  tags?: string[] | ((name: string) => string[]);
  /**
   * Encrypt the migrated items. Default: as the guest's (or the user's) item was, else the
   * instance's `encryption.enabled`.
   */
  encrypt?: boolean;
}

/**
 * What a migration did, by key name (the key without its prefix). `moved`: names the user
 * did not have, copied as they were; `merged`: names the user had, now holding the merger's
 * result. The two lists never overlap.
 */
export interface MigrationResult {
  moved: string[];
  merged: string[];
}

/**
 * One planned write; `ttl` is the time to set in ms (the sliding length for a sliding
 * item, else the time left), `null` for no expiry; `sliding` and `encrypt` are carried
 * over from the items planned from (`encrypt`: either was encrypted). `source`, `guest`
 * and `before` (the user's value, `null` for none) are what the plan was made from: a
 * journal finished later writes only over what it planned from (journals of older
 * versions lack them and are finished as they are).
 */
interface PlannedWrite {
  key: string;
  value: unknown;
  ttl: number | null;
  name: string;
  merged: boolean;
  sliding?: boolean;
  encrypt?: boolean;
  source?: string;
  guest?: unknown;
  before?: unknown;
}

/** A migration written down before any target is touched, so a crash half-way can be finished. */
interface Journal {
  writes: PlannedWrite[];
  sources: string[];
}

const JOURNAL_PREFIX = 'strata-migration:';

/**
 * Moves every key under `from` (default `'guest:'`) to the user's prefix (default
 * `user:<userId>:`), the guest → user migration. Where the user already holds a
 * value, `merge[name](guest, existing)` decides (default: keep the user's value). Moved
 * items keep the time they had left; merged ones keep the user's item's time left.
 *
 * Nothing is lost and nothing is counted twice: every value is read and merged before
 * anything is written (a throwing merger aborts with no change), the planned writes are
 * journaled (encrypted) in the same Strata, targets are written, and only then are the
 * guest keys removed. A run interrupted after the journal is finished by the next run
 * (for any user) from the journal, without merging again; what changed since the plan (a
 * newer user value, new guest data) is not overwritten or removed but merged afresh. A
 * second run finds no guest key and changes nothing. Runs are serialized across tabs by
 * a lock.
 *
 * Migrated items keep their encryption (an item encrypted on either side stays encrypted),
 * their sliding flag, their time left and their tags (a merged item: the tags of both),
 * so `clear({ tags })` still finds them; `options.tags` adds more. With `encrypt: false`
 * an encrypted item's tags are dropped: they are stored as keyed hashes, which an
 * unencrypted item cannot carry.
 *
 * @throws `INVALID_OPTIONS` for a non-string, blank, space-padded or control-character
 *   `userId`, an empty `from`, a `to` prefix that starts with `from`, or a merger that throws
 *   or returns `undefined`.
 *
 * @example
 * await migrateGuestToUser(strata, user.id, {
 *   merge: { cart: mergeArrayBy('productId', (g, e) => ({ ...e, quantity: e.quantity + g.quantity })) },
 * });
 */
export async function migrateGuestToUser(
  strata: StrataLike,
  userId: string,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  if (
    typeof userId !== 'string' ||
    userId.trim() === '' ||
    userId !== userId.trim() ||
    /[\u0000-\u001f\u007f]/.test(userId)
  ) {
    throw new StrataError(
      'INVALID_OPTIONS',
      'migrateGuestToUser needs a non-empty userId without surrounding spaces or control characters.',
    );
  }
  const from = options.from ?? 'guest:';
  const target = (options.to ?? ((id: string) => `user:${id}:`))(userId);
  if (typeof from !== 'string' || from === '')
    throw new StrataError('INVALID_OPTIONS', 'The guest prefix `from` must be a non-empty string.');
  if (typeof target !== 'string' || target === '' || target.startsWith(from)) {
    throw new StrataError(
      'INVALID_OPTIONS',
      'The user prefix `to(userId)` must be a non-empty string that does not start with the guest prefix.',
    );
  }
  const journalKey = `${JOURNAL_PREFIX}${JSON.stringify([from, target])}`;
  return withLock(`strata-migrate:${strata.namespace}`, async () => {
    const result: MigrationResult = { moved: [], merged: [] };
    // Any run first finishes what an interrupted one (for this user or another) planned.
    for (const pendingKey of await strata.keys(JOURNAL_PREFIX)) {
      const pending = await strata.get<Journal>(pendingKey);
      const mine = pendingKey === journalKey;
      if (pending)
        await applyJournal(
          strata,
          pendingKey,
          pending,
          options,
          mine ? result : { moved: [], merged: [] },
        );
      else await strata.remove(pendingKey);
    }
    const plan = await planMigration(strata, from, target, options);
    if (plan.sources.length > 0) {
      await strata.set(journalKey, plan, { encrypt: true });
      await applyJournal(strata, journalKey, plan, options, result);
    }
    return result;
  });
}

/** Reads every guest item and computes every target value; writes nothing. */
async function planMigration(
  strata: StrataLike,
  from: string,
  target: string,
  options: MigrateOptions,
): Promise<Journal> {
  const sources = (await strata.keys(from.replace(/[\\*]/g, '\\$&'))).filter(
    (key) => !key.startsWith(JOURNAL_PREFIX),
  );
  const writes: PlannedWrite[] = [];
  for (const source of sources) {
    const guest = await strata.get(source);
    if (guest === null) continue; // expired since listed: removed with the others
    const name = source.slice(from.length);
    const key = target + name;
    const existing = await strata.get(key);
    const guestInfo = await strata.info(source);
    if (existing === null) {
      writes.push({
        key,
        name,
        value: guest,
        ...carried(guestInfo, guestInfo),
        merged: false,
        source,
        guest,
        before: null,
      });
      continue;
    }
    const merger = options.merge?.[name] ?? options.defaultMerge ?? preferExisting;
    let value: unknown;
    try {
      value = await merger(guest, existing);
    } catch (cause) {
      if (cause instanceof StrataError) throw cause;
      throw new StrataError(
        'INVALID_OPTIONS',
        `The merger for "${name}" threw; nothing was migrated.`,
        { cause, key },
      );
    }
    if (value === undefined)
      throw new StrataError(
        'INVALID_OPTIONS',
        `The merger for "${name}" returned undefined; nothing was migrated.`,
        { key },
      );
    writes.push({
      key,
      name,
      value,
      ...carried(await strata.info(key), guestInfo),
      merged: true,
      source,
      guest,
      before: existing,
    });
  }
  return { writes, sources };
}

/**
 * Writes every target, then removes the sources, then the journal. Idempotent. A target
 * that changed since the plan (neither what it was planned from nor the planned value) is
 * not overwritten, and a source that changed since, or whose target was left, is kept:
 * the next plan merges them afresh, so a journal finished long after a crash never
 * overwrites newer data or removes guest data it did not migrate.
 */
async function applyJournal(
  strata: StrataLike,
  journalKey: string,
  journal: Journal,
  options: MigrateOptions,
  result: MigrationResult,
): Promise<void> {
  const kept = new Set<string>();
  for (const write of journal.writes) {
    const planned = 'before' in write;
    const current = planned ? await strata.get(write.key) : undefined;
    if (planned && !sameValue(current, write.before)) {
      if (!sameValue(current, write.value) && write.source !== undefined) kept.add(write.source);
      else (write.merged ? result.merged : result.moved).push(write.name); // written before a crash
      continue;
    }
    const tags = typeof options.tags === 'function' ? options.tags(write.name) : options.tags;
    const encrypt = options.encrypt ?? (write.encrypt === true ? true : undefined);
    await strata.set(write.key, write.value, {
      ...(write.ttl === null ? {} : { ttl: Math.max(1, write.ttl) }),
      ...(write.sliding === true ? { sliding: true } : {}),
      ...(tags && tags.length > 0 ? { tags } : {}),
      ...(encrypt === undefined ? {} : { encrypt }),
      ...(write.source === undefined ? {} : { [TAGS_OF]: tagSources(write, write.source) }),
    });
    (write.merged ? result.merged : result.moved).push(write.name);
  }
  const guestBySource = new Map(
    journal.writes
      .filter((w) => w.source !== undefined && 'guest' in w)
      .map((w) => [w.source as string, w.guest]),
  );
  for (const source of journal.sources) {
    if (kept.has(source)) continue;
    if (
      guestBySource.has(source) &&
      !sameValue(await strata.get(source), guestBySource.get(source))
    )
      continue;
    await strata.remove(source);
  }
  await strata.remove(journalKey);
}

/**
 * The keys whose tags a write carries: the guest item's, and for a merge the user item's
 * too; a merge that kept the user's value unchanged keeps only the user item's tags, so a
 * `clear` by a guest tag never removes the user's own data.
 */
function tagSources(write: PlannedWrite, source: string): string[] {
  if (!write.merged) return [source];
  return 'before' in write && sameValue(write.value, write.before)
    ? [write.key]
    : [source, write.key];
}

/**
 * TTL and flags a write carries over: time and sliding from `timing` (the item whose clock it
 * keeps), encryption from either item.
 */
function carried(
  timing: ItemInfo | null,
  guest: ItemInfo | null,
): Pick<PlannedWrite, 'ttl' | 'sliding' | 'encrypt'> {
  return {
    ttl: timing === null ? null : timing.sliding ? timing.ttl : timing.expiresIn,
    sliding: timing?.sliding === true,
    encrypt: timing?.encrypted === true || guest?.encrypted === true,
  };
}

/** Whether two stored values are the same (by their stored form). */
function sameValue(a: unknown, b: unknown): boolean {
  return serialize(a ?? null) === serialize(b ?? null);
}

/** Merger keeping the user's value (the default). */
export const preferExisting: Merger = (_guest, existing) => existing;

/** Merger taking the guest's value. */
export const preferIncoming: Merger = (guest) => guest;

/**
 * Merger for arrays of objects identified by `idField` (a cart by `productId`): the user's
 * items first, then the guest's; a guest item whose id is already there is combined with
 * `combine(guestItem, existingItem)` (default: keep the existing item). Items without the
 * field are appended. `null` counts as an empty array; any other non-array throws
 * `INVALID_OPTIONS` (which aborts a migration before it writes).
 *
 * @example mergeArrayBy<CartItem>('productId', (g, e) => ({ ...e, quantity: e.quantity + g.quantity }))
 */
export function mergeArrayBy<T extends object>(
  idField: keyof T & string,
  combine?: (guestItem: T, existingItem: T) => T,
): Merger {
  if (typeof idField !== 'string' || idField === '')
    throw new StrataError('INVALID_OPTIONS', 'mergeArrayBy needs a field name.');
  return (guest, existing) => {
    const merged = [...asArray<T>(existing, idField)];
    const positions = new Map<unknown, number>();
    merged.forEach((item, index) => {
      const id = item[idField];
      if (id !== undefined && !positions.has(id)) positions.set(id, index);
    });
    for (const item of asArray<T>(guest, idField)) {
      const id = item[idField];
      const index = id === undefined ? undefined : positions.get(id);
      if (index === undefined) {
        if (id !== undefined) positions.set(id, merged.length);
        merged.push(item);
      } else if (combine) {
        merged[index] = combine(item, merged[index] as T);
      }
    }
    return merged;
  };
}

function asArray<T>(value: unknown, idField: string): T[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value))
    throw new StrataError(
      'INVALID_OPTIONS',
      `mergeArrayBy("${idField}") merges arrays; got ${typeof value}.`,
    );
  return value as T[];
}
