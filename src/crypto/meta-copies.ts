import type { StorageAdapter } from '../adapters/adapter.js';
import type { LayerChain } from '../layer-chain.js';

/** Name of the key metadata entry in every layer. */
export const META_NAME = 'keys';

/**
 * Copies key metadata an earlier version kept only in per-tab layers (sessionStorage, when
 * localStorage was unavailable) into the shared layers, when none of them has any, so the
 * namespace's key is still found once only shared layers are read. Best effort.
 */
async function adoptTabMeta(
  shared: readonly StorageAdapter[],
  perTab: readonly StorageAdapter[],
): Promise<void> {
  const read = (layer: StorageAdapter) => layer.readMeta(META_NAME).catch(() => undefined);
  if ((await Promise.all(shared.map(read))).some((text) => text !== undefined)) return;
  for (const layer of perTab) {
    const text = await read(layer);
    if (text === undefined) continue;
    await Promise.all(
      shared.map((target) => target.writeMeta(META_NAME, text).catch(() => undefined)),
    );
    return;
  }
}

/** Drops this tab's per-tab copies of the key metadata (a destroyed key must not be re-derived from them). */
export async function dropTabMeta(layers: readonly StorageAdapter[]): Promise<void> {
  await Promise.all(
    layers
      .filter((layer) => !layer.shared)
      .map((layer) => layer.deleteMeta(META_NAME).catch(() => undefined)),
  );
}

/**
 * Layers holding key metadata (salt, verifier: nothing secret), so every tab of the origin
 * derives the same key. With shared layers, only there: no per-tab copy can bring back a
 * destroyed key (metadata an earlier version left per tab is adopted first). A chain of
 * per-tab layers keeps it in localStorage first, and per tab too.
 */
export async function metaLayersOf(chain: LayerChain): Promise<StorageAdapter[]> {
  const shared = chain.adapters.filter((layer) => layer.shared);
  const perTab = chain.adapters.filter((layer) => !layer.shared);
  if (shared.length > 0) {
    await adoptTabMeta(shared, perTab);
    return shared;
  }
  const local = await chain.create('localStorage');
  return (await local.isAvailable()) ? [local, ...perTab] : perTab;
}

/** True when some layer keeps key metadata: items may have been encrypted in an earlier session. */
export async function hasKeyMeta(layers: readonly StorageAdapter[]): Promise<boolean> {
  const found = await Promise.all(
    layers.map((layer) => layer.readMeta(META_NAME).catch(() => undefined)),
  );
  return found.some((meta) => meta !== undefined);
}
