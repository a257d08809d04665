import type { StorageAdapter } from './adapters/adapter.js';
import { hasKeyMeta } from './crypto/meta-copies.js';
import type { Reader } from './reader.js';
import type { StoreContext } from './store-context.js';

/**
 * The tags a new record stores: its own, plus the stored tags of the keys in `from`; hashed
 * when the record is encrypted. Hashed tags cannot go into a clear record, so an encrypted
 * item's tags are not carried to an unencrypted one.
 */
export async function tagsFor(
  ctx: StoreContext,
  reader: Reader,
  own: readonly string[],
  from: readonly string[],
  encrypt: boolean,
): Promise<string[]> {
  const hash = async (tags: readonly string[]) => (await ctx.key()).hashTags(tags);
  const unique = [...new Set(own)];
  const tags = new Set(encrypt && unique.length > 0 ? await hash(unique) : unique);
  for (const key of from) {
    const record = (await reader.find(key))?.record;
    if (!record?.g || (record.x === 1 && !encrypt)) continue;
    for (const tag of record.x === 1 || !encrypt ? record.g : await hash(record.g)) tags.add(tag);
  }
  return [...tags];
}

/** Tags as stored: the plain tag for clear items, plus its keyed hash when the namespace has a key. */
export async function tagsToMatch(
  ctx: StoreContext,
  tags: readonly string[],
  metaLayers: () => Promise<StorageAdapter[]>,
): Promise<string[]> {
  const held = (await ctx.heldKey()) !== undefined;
  if (!held && !(await hasKeyMeta(await metaLayers()))) return [...tags];
  return [...tags, ...(await (await ctx.key()).hashTags(tags))];
}
