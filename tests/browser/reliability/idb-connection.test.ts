import { afterEach, describe, expect, it } from 'vitest';
import { makeStrata } from '../helpers.js';
import { domError, patch } from './patch.js';

let restore: Array<() => void> = [];
afterEach(() => {
  restore.reverse().forEach((undo) => undo());
  restore = [];
});

/** Records every IDBDatabase the page opens from now on. */
function captureConnections(): IDBDatabase[] {
  const seen: IDBDatabase[] = [];
  const open = IDBFactory.prototype.open;
  restore.push(
    patch(
      IDBFactory.prototype,
      'open',
      function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>) {
        const request = open.apply(this, args);
        request.addEventListener('success', () => seen.push(request.result));
        return request;
      },
    ),
  );
  return seen;
}

function rawOpen(
  name: string,
  version?: number,
  upgrade?: (db: IDBDatabase) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('blocked'));
  });
}

describe('IndexedDB connection faults', () => {
  it('an open that reports "blocked" and never succeeds times out and falls back', async () => {
    restore.push(
      patch(IDBFactory.prototype, 'open', function () {
        const request = new EventTarget() as IDBOpenDBRequest;
        setTimeout(() => request.dispatchEvent(new Event('blocked')), 10);
        return request;
      }),
    );
    const { strata, errors } = makeStrata({
      defaultStorage: 'indexedDB',
      fallbackStorage: 'sessionStorage',
      idbOpenTimeout: 200,
    });
    await strata.ready();
    expect(strata.storage).toBe('sessionStorage');
    expect(errors.map((e) => e.code)).toEqual(['STORAGE_UNAVAILABLE']);
    await strata.close();
  });

  it('a database left at a newer schema version (VersionError) is reported and skipped', async () => {
    const { strata: first, namespace } = makeStrata({ defaultStorage: 'localStorage' });
    await first.close();
    const newer = await rawOpen(`strata:${encodeURIComponent(namespace)}`, 5, (db) =>
      db.createObjectStore('records'),
    );
    newer.close();
    const { strata } = makeStrata({
      namespace,
      defaultStorage: 'indexedDB',
      fallbackStorage: 'localStorage',
    });
    await strata.ready();
    expect(strata.storage).toBe('localStorage');
    await strata.close();
  });

  it('our open connection never blocks another connection upgrading or deleting the database, and reopens after', async () => {
    const { strata, namespace } = makeStrata({ defaultStorage: 'indexedDB' });
    await strata.set('a', 1);
    // Another tab (same origin) deletes the database: our connection gets versionchange and steps aside.
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(`strata:${encodeURIComponent(namespace)}`);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('blocked by our connection'));
    });
    await strata.set('b', 2);
    expect(await strata.get('b')).toBe(2);
    expect(strata.storage).toBe('indexedDB');
    await strata.close();
  });

  it('a connection closed under us (as the browser does) is reopened and the operation retried once', async () => {
    const connections = captureConnections();
    const { strata } = makeStrata({ defaultStorage: 'indexedDB' });
    await strata.set('a', 1);
    expect(connections.length).toBeGreaterThan(0);
    for (const db of connections) db.close();
    await strata.set('b', 2);
    for (const db of connections) db.close();
    expect(await strata.get('a')).toBe(1);
    for (const db of connections) db.close();
    expect(await strata.keys()).toEqual(['a', 'b']);
    await strata.close();
  });

  it('a transaction aborted once is retried and the write lands; a burst in one transaction lands whole', async () => {
    const { strata } = makeStrata({ defaultStorage: 'indexedDB', fallbackStorage: 'localStorage' });
    await strata.ready();
    const put = IDBObjectStore.prototype.put;
    let aborts = 0;
    restore.push(
      patch(
        IDBObjectStore.prototype,
        'put',
        function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
          const request = put.apply(this, args);
          if (aborts++ === 0) this.transaction.abort();
          return request;
        },
      ),
    );
    await Promise.all([strata.set('x', 1), strata.set('y', 2), strata.set('z', 3)]); // one task: one transaction
    expect(aborts).toBeGreaterThan(1);
    expect(await strata.keys()).toEqual(['x', 'y', 'z']);
    expect(
      Object.keys(localStorage).filter((k) => k.startsWith(encodeURIComponent(strata.namespace))),
    ).toEqual([]);
    await strata.close();
  });

  it('a transaction that always aborts never hangs: the write moves to the next layer, the old IndexedDB value is not half-written', async () => {
    const { strata, errors } = makeStrata({
      defaultStorage: 'indexedDB',
      fallbackStorage: 'localStorage',
    });
    await strata.set('doc', { v: 1, body: 'a'.repeat(100) });
    const put = IDBObjectStore.prototype.put;
    restore.push(
      patch(
        IDBObjectStore.prototype,
        'put',
        function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
          const request = put.apply(this, args);
          this.transaction.abort();
          return request;
        },
      ),
    );
    await strata.set('doc', { v: 2, body: 'b'.repeat(100) });
    expect(errors.map((e) => e.code)).toEqual(['STORAGE_UNAVAILABLE']);
    expect(await strata.get('doc')).toEqual({ v: 2, body: 'b'.repeat(100) });
    await strata.close();
  });

  it('a read on a transaction that throws InvalidStateError is retried once on a fresh connection', async () => {
    const { strata } = makeStrata({ defaultStorage: 'indexedDB' });
    await strata.set('a', 'kept');
    const transaction = IDBDatabase.prototype.transaction;
    let thrown = 0;
    restore.push(
      patch(
        IDBDatabase.prototype,
        'transaction',
        function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
          if (thrown++ === 0) throw domError('InvalidStateError');
          return transaction.apply(this, args);
        },
      ),
    );
    expect(await strata.get('a')).toBe('kept');
    expect(thrown).toBeGreaterThan(1);
    await strata.close();
  });
});
