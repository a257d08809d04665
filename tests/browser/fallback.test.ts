import { afterEach, describe, expect, it } from 'vitest';
import { Strata } from 'strata-storage';
import { makeStrata, uniqueNamespace } from './helpers.js';
import { sdkInFreshFrame } from './reliability/patch.js';

/** Fills localStorage until the browser refuses more; returns a function that frees it. */
function fillLocalStorage(): () => void {
  const keys: string[] = [];
  let chunk = 'x'.repeat(1024 * 1024);
  for (let i = 0; chunk.length > 16; i++) {
    try {
      localStorage.setItem(`filler-${i}`, chunk);
      keys.push(`filler-${i}`);
    } catch {
      chunk = chunk.slice(0, chunk.length / 2);
    }
  }
  return () => keys.forEach((key) => localStorage.removeItem(key));
}

describe('fallback when a layer is full or unavailable', () => {
  let release: (() => void) | undefined;
  afterEach(() => {
    release?.();
    release = undefined;
  });

  it('a write refused for quota lands in the next layer and reads back; nothing stored is lost', async () => {
    const { strata, errors } = makeStrata({
      defaultStorage: 'localStorage',
      fallbackStorage: 'indexedDB',
    });
    await strata.set('before', 'kept');
    release = fillLocalStorage();
    const moved: string[] = [];
    strata.on('fallback', (event) =>
      moved.push(`${event.key}:${event.from}->${event.to}:${event.reason.code}`),
    );
    await strata.set('big', 'y'.repeat(64 * 1024));
    expect(moved).toEqual(['big:localStorage->indexedDB:QUOTA_EXCEEDED']);
    expect(errors.map((e) => e.code)).toContain('QUOTA_EXCEEDED');
    expect(await strata.get('big')).toHaveLength(64 * 1024);
    expect(await strata.get('before')).toBe('kept');
    expect(await strata.keys()).toEqual(['before', 'big']);
    await strata.remove('big');
    expect(await strata.has('big')).toBe(false);
    await strata.close();
  });

  it('an update that overflows removes the stale copy from the full layer, so it never shadows', async () => {
    const { strata } = makeStrata({ defaultStorage: 'localStorage', fallbackStorage: 'indexedDB' });
    await strata.set('doc', 'v1');
    release = fillLocalStorage();
    await strata.set('doc', 'v2'.repeat(40_000));
    release();
    release = undefined;
    expect(await strata.get('doc')).toBe('v2'.repeat(40_000));
    await strata.set('doc', 'v3');
    expect(await strata.get('doc')).toBe('v3');
    await strata.close();
  });

  it('memory is the last resort: the write is held and the loss risk reported', async () => {
    const { strata, errors } = makeStrata({ defaultStorage: 'localStorage' });
    release = fillLocalStorage();
    await strata.set('held', 'z'.repeat(32 * 1024));
    expect(await strata.get('held')).toHaveLength(32 * 1024);
    expect(errors.map((e) => e.code)).toEqual(['QUOTA_EXCEEDED']);
    expect(errors[0]?.message).toContain('will not survive a reload');
    await strata.close();
  });

  it('a layer already full at start-up stays readable; new writes fall through', async () => {
    const first = makeStrata({ defaultStorage: 'localStorage', fallbackStorage: 'indexedDB' });
    await first.strata.set('old', 'still here');
    await first.strata.close();
    release = fillLocalStorage();
    const { strata } = makeStrata({
      namespace: first.namespace,
      defaultStorage: 'localStorage',
      fallbackStorage: 'indexedDB',
    });
    await strata.ready();
    expect(strata.storage).toBe('localStorage');
    expect(await strata.get('old')).toBe('still here');
    await strata.set('new', 'n'.repeat(10_000));
    expect(await strata.get('new')).toHaveLength(10_000);
    await strata.close();
  });

  it('ready() skips a blocked storage area and says which layer it uses', async () => {
    // In a fresh frame whose localStorage getter throws before the SDK's code ever read it
    // (WebKit keeps a hot call site's old `window.localStorage`: sdkInFreshFrame).
    const { S, dispose } = await sdkInFreshFrame((frame) =>
      Object.defineProperty(frame, 'localStorage', {
        configurable: true,
        get: () => {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        },
      }),
    );
    try {
      const errors: Array<{ code: string }> = [];
      const strata = new S.Strata({
        namespace: uniqueNamespace(),
        defaultStorage: 'localStorage',
        fallbackStorage: ['sessionStorage'],
        onError: (error) => errors.push(error),
      });
      await strata.ready();
      expect(strata.storage).toBe('sessionStorage');
      expect(strata.layers).toEqual(['sessionStorage', 'memory']);
      expect(errors[0]?.code).toBe('STORAGE_UNAVAILABLE');
      await strata.set('k', 1);
      expect(await strata.get('k')).toBe(1);
      await strata.close();
    } finally {
      dispose();
    }
  });

  it('an IndexedDB open that never answers times out and falls back', async () => {
    const original = indexedDB.open;
    indexedDB.open = (() => ({}) as IDBOpenDBRequest) as typeof indexedDB.open;
    try {
      const { strata } = makeStrata({
        defaultStorage: 'indexedDB',
        fallbackStorage: 'localStorage',
        idbOpenTimeout: 150,
      });
      await strata.ready();
      expect(strata.storage).toBe('localStorage');
      await strata.close();
    } finally {
      indexedDB.open = original;
    }
  });

  it('reads, keys and clear see every layer', async () => {
    const namespace = `layers-${crypto.getRandomValues(new Uint32Array(1))[0]}`;
    const idbOnly = new Strata({ namespace, defaultStorage: 'indexedDB' });
    await idbOnly.set('in-idb', 1);
    await idbOnly.close();
    const layered = new Strata({
      namespace,
      defaultStorage: 'localStorage',
      fallbackStorage: 'indexedDB',
    });
    await layered.set('in-ls', 2);
    expect(await layered.get('in-idb')).toBe(1);
    expect(await layered.keys()).toEqual(['in-idb', 'in-ls']);
    await layered.clear();
    expect(await layered.keys()).toEqual([]);
    await layered.close();
  });
});
