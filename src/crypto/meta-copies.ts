import type { StorageAdapter } from '../adapters/adapter.js';

/** Name of the key metadata entry in every layer. */
export const META_NAME = 'keys';

/**
 * Copies key metadata an earlier version kept only in per-tab layers (sessionStorage, when
 * localStorage was unavailable) into the shared layers, when none of them has any, so the
 * namespace's key is still found once only shared layers are read. Best effort.
 */
export async function adoptTabMeta(
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
