import { afterEach, describe, expect, it } from 'vitest';
import { makeStrata, uniqueNamespace } from '../helpers.js';
import { domError, patch, patchGetter, sdkInFreshFrame } from './patch.js';

let restore: Array<() => void> = [];
afterEach(() => {
  restore.reverse().forEach((undo) => undo());
  restore = [];
});

describe('storage disabled or throwing on access', () => {
  it('Storage methods throwing SecurityError: ready() falls back and `storage` says which', async () => {
    for (const name of ['getItem', 'setItem', 'removeItem'] as const) {
      restore.push(
        patch(Storage.prototype, name, () => {
          throw domError('SecurityError');
        }),
      );
    }
    const { strata, errors } = makeStrata({
      defaultStorage: 'localStorage',
      fallbackStorage: ['sessionStorage', 'indexedDB'],
    });
    await strata.ready();
    expect(strata.storage).toBe('indexedDB');
    expect(strata.layers).toEqual(['indexedDB', 'memory']);
    expect(errors.map((e) => e.code)).toEqual(['STORAGE_UNAVAILABLE', 'STORAGE_UNAVAILABLE']);
    await strata.set('k', 'v');
    expect(await strata.get('k')).toBe('v');
    await strata.close();
  });

  it('sessionStorage getter throwing SecurityError: memory takes over', async () => {
    // In a fresh frame: the getter throws before the SDK's code ever read it (sdkInFreshFrame).
    const { S, dispose } = await sdkInFreshFrame((frame) =>
      patchGetter(frame, 'sessionStorage', () => {
        throw new (frame as unknown as typeof globalThis).DOMException('injected', 'SecurityError');
      }),
    );
    restore.push(dispose);
    const strata = new S.Strata({ namespace: uniqueNamespace(), defaultStorage: 'sessionStorage' });
    await strata.ready();
    expect(strata.storage).toBe('memory');
    await strata.set('k', 1);
    expect(await strata.get('k')).toBe(1);
    await strata.close();
  });

  it('IndexedDB missing entirely: falls back, and a device key cannot be made (reported clearly)', async () => {
    restore.push(patchGetter(window, 'indexedDB', () => undefined));
    const { strata } = makeStrata({ defaultStorage: 'indexedDB', fallbackStorage: 'localStorage' });
    await strata.ready();
    expect(strata.storage).toBe('localStorage');
    await expect(strata.set('secret', 1, { encrypt: true })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    });
    expect(await strata.get('secret')).toBeNull();
    await strata.close();
  });

  it('storage that starts throwing mid-session: the write moves on, reads of that layer are reported, not thrown', async () => {
    const { strata, errors } = makeStrata({
      defaultStorage: 'localStorage',
      fallbackStorage: 'indexedDB',
    });
    await strata.set('a', 1);
    const restoreAll = ['getItem', 'setItem', 'removeItem'].map((name) =>
      patch(Storage.prototype, name as 'getItem', () => {
        throw domError('SecurityError');
      }),
    );
    restore.push(...restoreAll);
    await strata.set('b', 2);
    expect(await strata.get('b')).toBe(2);
    expect(await strata.get('a')).toBeNull(); // unreachable now, reported
    expect(errors.map((e) => e.code).every((code) => code === 'STORAGE_UNAVAILABLE')).toBe(true);
    restoreAll.forEach((undo) => undo());
    restore = [];
    expect(await strata.get('a')).toBe(1); // nothing was lost
    await strata.close();
  });
});
