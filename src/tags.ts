import type { StorageAdapter } from './adapters/adapter.js';
import { StrataError } from './errors.js';
import type { Reader } from './reader.js';
import type { StoreContext } from './store-context.js';

/** What a sealed record that cannot be trusted under the key held reads as. */
const UNTRUSTED = new Set(['DECRYPT_FAILED', 'CORRUPT_RECORD']);

/**
 * The tags a new record stores: its own, plus those of the keys in `from` (a migration). A
 * sealed item's tags go only into a sealed record: in a clear one they would be readable.
 */
export async function tagsFor(
  reader: Reader,
  own: readonly string[],
  from: readonly string[],
  encrypt: boolean,
): Promise<string[]> {
  const tags = new Set(own);
  for (const key of from) {
    const found = await reader.find(key);
    if (!found || (found.record.x === 1 && !encrypt)) continue;
    const opened = await reader.open(key, found.record, found.layer.kind);
    for (const tag of opened?.tags ?? []) tags.add(tag);
  }
  return [...tags];
}

/**
 * The keys under `prefix` in `layer` carrying any of `tags`: clear records through the
 * layer's index, sealed ones opened (their tags are inside the ciphertext). A sealed record
 * that does not open under the key held (tampered, or of a retired key) is counted in, so
 * a tag clear at logout never keeps it. Without the key (a wrong password) the clear fails.
 */
export async function keysTagged(
  ctx: StoreContext,
  reader: Reader,
  layer: StorageAdapter,
  tags: readonly string[],
  prefix: string,
): Promise<string[]> {
  const keys = new Set(await layer.keysTagged(tags, prefix));
  if (!(await ctx.mayHoldSealed())) return [...keys];
  for (const key of await layer.keys(prefix, Number.NEGATIVE_INFINITY)) {
    const record = keys.has(key) ? undefined : await layer.read(key).catch(() => undefined);
    if (record?.x !== 1) continue;
    const opened = await reader.opened(key, record, layer.kind);
    if (opened instanceof StrataError && !UNTRUSTED.has(opened.code)) {
      if (opened.code === 'KEY_ROTATED') continue; // of a newer key: the tab holding it clears it
      throw opened; // no key here (wrong password…): nothing can be judged
    }
    if (opened instanceof StrataError) ctx.report(opened);
    const tagged =
      opened instanceof StrataError || opened.tags?.some((tag) => tags.includes(tag)) === true;
    if (tagged) keys.add(key);
  }
  return [...keys];
}
