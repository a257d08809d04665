import { StrataError } from '../errors.js';
import type { Strata } from '../strata.js';
import { withLock } from '../sync/lock.js';

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
   * ({@link preferExisting}, as the seed does for preferences).
   */
  merge?: Record<string, Merger>;
  /** Merger for names missing from `merge`. Default {@link preferExisting}. */
  defaultMerge?: Merger;
  /**
   * Tags of the migrated items. Strata does not expose an item's tags, so they cannot be
   * copied: give them here (a list, or per name). Default: none.
   */
  tags?: string[] | ((name: string) => string[]);
  /** Encrypt the migrated items. Default: the instance's `encryption.enabled`. */
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

/** One planned write; `ttl` is the time left in ms, `null` for no expiry. */
interface PlannedWrite {
  key: string;
  value: unknown;
  ttl: number | null;
  name: string;
  merged: boolean;
}

/** A migration written down before any target is touched, so a crash half-way can be finished. */
interface Journal {
  writes: PlannedWrite[];
  sources: string[];
}

const JOURNAL_PREFIX = 'strata-migration:';

/**
 * Moves every key under `from` (default `'guest:'`) to the user's prefix (default
 * `user:<userId>:`), the seed's guest → user migration. Where the user already holds a
 * value, `merge[name](guest, existing)` decides (default: keep the user's value). Moved
 * items keep the time they had left; merged ones keep the user's item's time left.
 *
 * Nothing is lost and nothing is counted twice: every value is read and merged before
 * anything is written (a throwing merger aborts with no change), the planned writes are
 * journaled (encrypted) in the same Strata, targets are written, and only then are the
 * guest keys removed. A run interrupted after the journal is finished by the next run
 * from the journal, without merging again. A second run finds no guest key and changes
 * nothing. Runs are serialized across tabs by a lock.
 *
 * Strata does not expose an item's tags, sliding flag or per-item encryption: migrated
 * items get `options.tags` and `options.encrypt` (default: the instance's setting).
 *
 * @throws `INVALID_OPTIONS` for a non-string, blank, space-padded or control-character `userId`, an empty `from`, a `to`
 *   prefix that starts with `from`, or a merger that throws or returns `undefined`.
 *
 * @example
 * await migrateGuestToUser(strata, user.id, {
 *   merge: { cart: mergeArrayBy('productId', (g, e) => ({ ...e, quantity: e.quantity + g.quantity })) },
 * });
 */
export async function migrateGuestToUser(strata: Strata, userId: string, options: MigrateOptions = {}): Promise<MigrationResult> {
  if (typeof userId !== 'string' || userId.trim() === '' || userId !== userId.trim() || /[\u0000-\u001f\u007f]/.test(userId)) {
    throw new StrataError('INVALID_OPTIONS', 'migrateGuestToUser needs a non-empty userId without surrounding spaces or control characters.');
  }
  const from = options.from ?? 'guest:';
  const target = (options.to ?? ((id: string) => `user:${id}:`))(userId);
  if (typeof from !== 'string' || from === '') throw new StrataError('INVALID_OPTIONS', 'The guest prefix `from` must be a non-empty string.');
  if (typeof target !== 'string' || target === '' || target.startsWith(from)) {
    throw new StrataError('INVALID_OPTIONS', 'The user prefix `to(userId)` must be a non-empty string that does not start with the guest prefix.');
  }
  const journalKey = `${JOURNAL_PREFIX}${JSON.stringify([from, target])}`;
  return withLock(`strata-migrate:${strata.namespace}`, async () => {
    const result: MigrationResult = { moved: [], merged: [] };
    const pending = await strata.get<Journal>(journalKey);
    if (pending) await applyJournal(strata, journalKey, pending, options, result);
    const plan = await planMigration(strata, from, target, options);
    if (plan.sources.length > 0) {
      await strata.set(journalKey, plan, { encrypt: true });
      await applyJournal(strata, journalKey, plan, options, result);
    }
    return result;
  });
}

/** Reads every guest item and computes every target value; writes nothing. */
async function planMigration(strata: Strata, from: string, target: string, options: MigrateOptions): Promise<Journal> {
  const sources = (await strata.keys(from.replace(/[\\*]/g, '\\$&'))).filter((key) => !key.startsWith(JOURNAL_PREFIX));
  const writes: PlannedWrite[] = [];
  for (const source of sources) {
    const guest = await strata.get(source);
    if (guest === null) continue; // expired since listed: removed with the others
    const name = source.slice(from.length);
    const key = target + name;
    const existing = await strata.get(key);
    if (existing === null) {
      writes.push({ key, name, value: guest, ttl: await strata.getTTL(source), merged: false });
      continue;
    }
    const merger = options.merge?.[name] ?? options.defaultMerge ?? preferExisting;
    let value: unknown;
    try {
      value = await merger(guest, existing);
    } catch (cause) {
      if (cause instanceof StrataError) throw cause;
      throw new StrataError('INVALID_OPTIONS', `The merger for "${name}" threw; nothing was migrated.`, { cause, key });
    }
    if (value === undefined) throw new StrataError('INVALID_OPTIONS', `The merger for "${name}" returned undefined; nothing was migrated.`, { key });
    writes.push({ key, name, value, ttl: await strata.getTTL(key), merged: true });
  }
  return { writes, sources };
}

/** Writes every target, then removes the sources, then the journal. Idempotent. */
async function applyJournal(strata: Strata, journalKey: string, journal: Journal, options: MigrateOptions, result: MigrationResult): Promise<void> {
  for (const write of journal.writes) {
    const tags = typeof options.tags === 'function' ? options.tags(write.name) : options.tags;
    await strata.set(write.key, write.value, {
      ...(write.ttl === null ? {} : { ttl: Math.max(1, write.ttl) }),
      ...(tags && tags.length > 0 ? { tags } : {}),
      ...(options.encrypt === undefined ? {} : { encrypt: options.encrypt }),
    });
    (write.merged ? result.merged : result.moved).push(write.name);
  }
  for (const source of journal.sources) await strata.remove(source);
  await strata.remove(journalKey);
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
export function mergeArrayBy<T extends object>(idField: keyof T & string, combine?: (guestItem: T, existingItem: T) => T): Merger {
  if (typeof idField !== 'string' || idField === '') throw new StrataError('INVALID_OPTIONS', 'mergeArrayBy needs a field name.');
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
  if (!Array.isArray(value)) throw new StrataError('INVALID_OPTIONS', `mergeArrayBy("${idField}") merges arrays; got ${typeof value}.`);
  return value as T[];
}
