import { afterEach, describe, expect, it } from 'vitest';
import { Strata, type StorageKind } from 'strata-storage';
import { makeStrata } from '../helpers.js';
import { domError, patch } from './patch.js';

let restore: Array<() => void> = [];
afterEach(() => {
  restore.reverse().forEach((undo) => undo());
  restore = [];
});

/** Makes Web Storage refuse writes of `area` for one namespace with QuotaExceededError. */
function webStorageFull(area: Storage, namespace: string): void {
  const setItem = Storage.prototype.setItem;
  restore.push(
    patch(Storage.prototype, 'setItem', function (this: Storage, key: string, value: string) {
      if (this === area && key.startsWith(encodeURIComponent(namespace)))
        throw domError('QuotaExceededError');
      return setItem.call(this, key, value);
    }),
  );
}

describe('quota exceeded mid-session', () => {
  it.each([
    ['sessionStorage', 'localStorage'],
    ['sessionStorage', 'memory'],
    ['localStorage', 'sessionStorage'],
  ] as Array<[StorageKind, StorageKind]>)(
    '%s full: the write lands in %s, reported; nothing stored is lost',
    async (kind, next) => {
      const { strata, errors, namespace } = makeStrata({
        defaultStorage: kind,
        fallbackStorage: next === 'memory' ? [] : [next],
      });
      await strata.set('before', { kept: true });
      const moved: string[] = [];
      strata.on('fallback', (e) => moved.push(`${e.from}->${e.to}:${e.reason.code}`));
      webStorageFull(kind === 'localStorage' ? localStorage : sessionStorage, namespace);
      await strata.set('during', 'n'.repeat(1000));
      expect(moved).toEqual([`${kind}->${next}:QUOTA_EXCEEDED`]);
      expect(errors.map((e) => e.code)).toEqual(['QUOTA_EXCEEDED']);
      expect(await strata.get('before')).toEqual({ kept: true });
      expect(await strata.get('during')).toHaveLength(1000);
      expect(await strata.keys()).toEqual(['before', 'during']);
      await strata.close();
    },
  );

  it('IndexedDB full (put throws QuotaExceededError): the write falls back, earlier IndexedDB items stay readable', async () => {
    const { strata, errors, namespace } = makeStrata({
      defaultStorage: 'indexedDB',
      fallbackStorage: 'localStorage',
    });
    await strata.set('before', [1, 2, 3]);
    restore.push(
      patch(IDBObjectStore.prototype, 'put', function () {
        throw domError('QuotaExceededError');
      }),
    );
    await strata.set('during', 'x');
    expect(errors.map((e) => e.code)).toEqual(['QUOTA_EXCEEDED']);
    expect(await strata.get('during')).toBe('x');
    expect(await strata.get('before')).toEqual([1, 2, 3]);
    restore.pop()?.();
    // Space is back: the next update goes to IndexedDB again and the stale fallback copy is removed.
    await strata.set('during', 'y');
    expect(await strata.get('during')).toBe('y');
    expect(localStorage.getItem(`${encodeURIComponent(namespace)}:during`)).toBeNull();
    await strata.close();
  });

  it('IndexedDB quota reported by the transaction (abort with QuotaExceededError) also falls back', async () => {
    const { strata, errors } = makeStrata({
      defaultStorage: 'indexedDB',
      fallbackStorage: 'sessionStorage',
    });
    await strata.ready();
    const put = IDBObjectStore.prototype.put;
    restore.push(
      patch(
        IDBObjectStore.prototype,
        'put',
        function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
          const request = put.apply(this, args);
          const tx = this.transaction;
          // As Chromium does when the origin is over quota at commit time.
          Object.defineProperty(tx, 'error', {
            configurable: true,
            get: () => domError('QuotaExceededError'),
          });
          tx.abort();
          return request;
        },
      ),
    );
    await strata.set('k', 'v');
    expect(errors.map((e) => e.code)).toEqual(['QUOTA_EXCEEDED']);
    expect(strata.layers).toEqual(['indexedDB', 'sessionStorage', 'memory']);
    expect(await strata.get('k')).toBe('v');
    await strata.close();
  });

  it('every layer full but memory: the write is held in memory, never thrown away silently', async () => {
    const { strata, errors, namespace } = makeStrata({
      defaultStorage: 'localStorage',
      fallbackStorage: 'sessionStorage',
    });
    webStorageFull(localStorage, namespace);
    webStorageFull(sessionStorage, namespace);
    await strata.set('k', 1);
    expect(await strata.get('k')).toBe(1);
    expect(errors[0]?.message).toContain('will not survive a reload');
    await strata.close();
    const reopened = new Strata({ namespace });
    expect(await reopened.get('k')).toBe(1); // same tab: the memory layer is per tab, not per instance
    await reopened.close();
  });
});
