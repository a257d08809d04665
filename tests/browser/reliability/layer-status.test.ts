import { describe, expect, it } from 'vitest';
import type { StorageKind } from 'strata-storage';
import type { StorageAdapter } from '../../../src/adapters/adapter.js';
import { createAdapter } from '../../../src/adapters/create.js';
import { webStorageAdapter } from '../../../src/adapters/web-storage.js';
import { ADAPTERS } from '../../../src/strata.js';
import { makeStrata, uniqueNamespace } from '../helpers.js';

/** The browser's localStorage, refusing writes with a real QuotaExceededError while `full.on`. */
function fillableLocalStorage(): { storage: Storage; full: { on: boolean } } {
  const full = { on: false };
  const storage = new Proxy(localStorage, {
    get(target, name) {
      if (name === 'setItem')
        return (key: string, value: string) => {
          if (full.on) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          target.setItem(key, value);
        };
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { storage, full };
}

/** Adapters as the browser's, but localStorage's through `storage` (injected, not patched). */
function withLocalStorage(namespace: string, storage: Storage) {
  return (kind: StorageKind): Promise<StorageAdapter> =>
    kind === 'localStorage'
      ? Promise.resolve(webStorageAdapter('localStorage', namespace, storage))
      : createAdapter(kind, namespace, 3_000);
}

describe('storage and status() say where data actually goes', () => {
  it('localStorage refusing every write: storage turns to the layer that took it, and back once a write there succeeds', async () => {
    const namespace = uniqueNamespace('status');
    const { storage, full } = fillableLocalStorage();
    const { strata } = makeStrata({
      namespace,
      defaultStorage: 'localStorage',
      fallbackStorage: 'sessionStorage',
      [ADAPTERS]: withLocalStorage(namespace, storage),
    } as never);
    await strata.set('before', 1);
    expect(strata.storage).toBe('localStorage');
    expect(strata.status().layers.map((l) => [l.kind, l.healthy])).toEqual([
      ['localStorage', true],
      ['sessionStorage', true],
      ['memory', true],
    ]);

    full.on = true;
    await strata.set('during', 2);
    expect(strata.storage).toBe('sessionStorage');
    expect((await strata.info('during'))?.layer).toBe('sessionStorage');
    expect(strata.status().layers[0]).toEqual({
      kind: 'localStorage',
      healthy: false,
      problem: 'QUOTA_EXCEEDED',
      holdsData: true,
    });

    full.on = false;
    await strata.set('after', 3);
    expect(strata.storage).toBe('localStorage');
    expect(strata.status().layers.every((l) => l.healthy)).toBe(true);
    expect(await strata.keys()).toEqual(['after', 'before', 'during']);
    await strata.close();
  });

  it('a layer missing at start-up is not listed, and storage names the one in use', async () => {
    const { strata } = makeStrata({
      defaultStorage: 'indexedDB',
      fallbackStorage: 'localStorage',
      idbOpenTimeout: 1,
      [ADAPTERS]: (kind: StorageKind) =>
        kind === 'indexedDB'
          ? Promise.resolve({ kind, isAvailable: () => Promise.resolve(false) } as StorageAdapter)
          : createAdapter(kind, uniqueNamespace('status'), 3_000),
    } as never);
    await strata.ready();
    expect(strata.storage).toBe('localStorage');
    expect(strata.status()).toEqual({
      storage: 'localStorage',
      layers: [
        { kind: 'localStorage', healthy: true, holdsData: true },
        { kind: 'memory', healthy: true, holdsData: false },
      ],
      evicted: [],
      persistence: 'not requested',
    });
    await strata.close();
  });
});
