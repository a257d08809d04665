import { describe, expect, it } from 'vitest';
import { indexedDbAdapter } from '../../../src/adapters/indexed-db.js';
import type { IdbEvent } from '../../../src/idb.js';
import { memoryAdapter } from '../../../src/adapters/memory.js';
import { webStorageAdapter } from '../../../src/adapters/web-storage.js';
import { uniqueNamespace } from '../helpers.js';
import { testAdapter } from './contract.js';
import { moduleInFreshFrame } from '../reliability/patch.js';
import { forceCloseByBrowser, itForceClosing, hangOpens, rawOpen } from './idb-faults.js';

testAdapter('memory', (ns) => memoryAdapter(ns));
testAdapter(
  'localStorage',
  (ns) => webStorageAdapter('localStorage', ns),
  () => {
    it('is shared across tabs; sessionStorage is not', () => {
      expect(webStorageAdapter('localStorage', 'x').shared).toBe(true);
      expect(webStorageAdapter('sessionStorage', 'x').shared).toBe(false);
    });
  },
);
testAdapter('sessionStorage', (ns) => webStorageAdapter('sessionStorage', ns));
testAdapter(
  'indexedDB',
  (ns) => indexedDbAdapter(ns),
  (create) => {
    it('commits a burst of writes issued in one task in a single transaction', async () => {
      const adapter = create(uniqueNamespace('idb-batch'));
      await adapter.isAvailable();
      const original = IDBDatabase.prototype.transaction;
      let readwrite = 0;
      IDBDatabase.prototype.transaction = function (
        this: IDBDatabase,
        ...args: Parameters<IDBDatabase['transaction']>
      ) {
        if (args[1] === 'readwrite') readwrite++;
        return original.apply(this, args);
      } as IDBDatabase['transaction'];
      try {
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            adapter.write(`k${i}`, { v: 1, p: String(i), u: 1, w: 'w' }),
          ),
        );
      } finally {
        IDBDatabase.prototype.transaction = original;
      }
      expect(readwrite).toBe(1);
      expect((await adapter.allKeys()).length).toBe(200);
    });

    it('reads issued in one task share a transaction and settle together, each with its own record', async () => {
      const adapter = create(uniqueNamespace('idb-read-batch'));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          adapter.write(`k${i}`, { v: 1, p: `value ${i}`, u: i, w: 'w' }),
        ),
      );
      const original = IDBDatabase.prototype.transaction;
      const get = IDBObjectStore.prototype.get;
      let readonly = 0;
      let answered = 0;
      IDBDatabase.prototype.transaction = function (
        this: IDBDatabase,
        ...args: Parameters<IDBDatabase['transaction']>
      ) {
        if ((args[1] ?? 'readonly') === 'readonly') readonly++;
        return original.apply(this, args);
      } as IDBDatabase['transaction'];
      IDBObjectStore.prototype.get = function (
        this: IDBObjectStore,
        query: IDBValidKey | IDBKeyRange,
      ) {
        const request = get.call(this, query);
        request.addEventListener('success', () => answered++);
        return request;
      };
      const answeredWhenSettled: number[] = [];
      let records;
      try {
        // A missing key in the middle of the burst reads as undefined and holds up no other read.
        const keys = [...Array.from({ length: 50 }, (_, i) => `k${i}`), 'missing'];
        records = await Promise.all(
          keys.map((key) =>
            adapter.read(key).then((record) => (answeredWhenSettled.push(answered), record)),
          ),
        );
      } finally {
        IDBDatabase.prototype.transaction = original;
        IDBObjectStore.prototype.get = get;
      }
      expect(readonly).toBe(1);
      expect(records.slice(0, 50).map((record) => record?.p)).toEqual(
        Array.from({ length: 50 }, (_, i) => `value ${i}`),
      );
      expect(records[50]).toBeUndefined();
      // Settled together: not one read went on before the last of the 51 answers had arrived.
      expect(answeredWhenSettled).toEqual(Array.from({ length: 51 }, () => 51));
      // A read issued later, on its own, settles on its own answer.
      expect((await adapter.read('k7'))?.p).toBe('value 7');
    });

    it('steps aside for a newer version opened elsewhere (blocking) instead of blocking it, then adopts it', async () => {
      const namespace = uniqueNamespace('idb-reopen');
      const events: IdbEvent[] = [];
      const adapter = indexedDbAdapter(namespace, { onConnectionEvent: (e) => events.push(e) });
      await adapter.write('a', { v: 1, p: '1', u: 1, w: 'w' });
      // rawOpen rejects on "blocked": our open connection must close for it.
      const newer = await rawOpen(`strata:${encodeURIComponent(namespace)}`, 2);
      newer.close();
      expect(events).toEqual(['blocking']);
      // Our schema version is now behind, but the newer schema has what we read: it is adopted.
      expect(await adapter.read('a')).toMatchObject({ p: '1' });
      await adapter.close();
    });

    itForceClosing(
      'reopens on next use after the browser closes the connection (terminated), and reports it',
      async () => {
        const namespace = uniqueNamespace('idb-terminated');
        const events: IdbEvent[] = [];
        const adapter = indexedDbAdapter(namespace, { onConnectionEvent: (e) => events.push(e) });
        await adapter.write('a', { v: 1, p: '1', u: 1, w: 'w' });
        await forceCloseByBrowser(`strata:${encodeURIComponent(namespace)}`);
        await expect.poll(() => events).toEqual(['terminated']);
        // The database is gone with its records; the next write opens (and creates) it again.
        await adapter.write('b', { v: 1, p: '2', u: 1, w: 'w' });
        expect(await adapter.allKeys()).toEqual(['b']);
        expect(await adapter.readMeta('none')).toBeUndefined();
        await adapter.close();
      },
    );

    it('gives up on an open that never answers after the timeout', async () => {
      const namespace = uniqueNamespace('idb-hang');
      const hung = await hangOpens(`strata:${encodeURIComponent(namespace)}`);
      const adapter = indexedDbAdapter(namespace, { openTimeout: 200 });
      try {
        const started = performance.now();
        await expect(adapter.isAvailable()).rejects.toMatchObject({ code: 'TIMEOUT' });
        expect(performance.now() - started).toBeGreaterThanOrEqual(190);
        await expect(adapter.read('a')).rejects.toMatchObject({ code: 'TIMEOUT' });
      } finally {
        await hung.release();
      }
      // Once the open can go through, the next use opens.
      expect(await adapter.isAvailable()).toBe(true);
      await adapter.close();
    });
  },
);
testAdapter('secure', (ns) => indexedDbAdapter(ns, { kind: 'secure' }));

describe('adapters', () => {
  it('web storage reports a blocked storage area as unavailable', async () => {
    // In a fresh frame: WebKit keeps a hot call site's old `window.localStorage` after a redefinition.
    const { module, dispose } = await moduleInFreshFrame<
      typeof import('../../../src/adapters/web-storage.js')
    >('/src/adapters/web-storage.ts', (frame) =>
      Object.defineProperty(frame, 'localStorage', {
        configurable: true,
        get: () => {
          throw new DOMException('blocked', 'SecurityError');
        },
      }),
    );
    try {
      expect(await module.webStorageAdapter('localStorage', 'blocked').isAvailable()).toBe(false);
      expect(await webStorageAdapter('localStorage', 'blocked').isAvailable()).toBe(true);
    } finally {
      dispose();
    }
  });
});
