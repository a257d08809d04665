import { afterEach, describe, expect, it } from 'vitest';
import { idbConnection, openDatabase, type IdbEvent } from '../../../src/idb.js';
import {
  itForceClosing,
  dropDatabase,
  forceCloseByBrowser,
  hangOpens,
  rawDelete,
  rawOpen,
} from '../adapters/idb-faults.js';
import { makeStrata, uniqueNamespace } from '../helpers.js';
import { domError, patch, patchGetter } from './patch.js';

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

describe('IndexedDB connection faults', () => {
  it('an open that never answers (queued behind a blocked delete) times out and falls back', async () => {
    const namespace = uniqueNamespace();
    const hung = await hangOpens(`strata:${encodeURIComponent(namespace)}`);
    try {
      const { strata, errors } = makeStrata({
        namespace,
        defaultStorage: 'indexedDB',
        fallbackStorage: 'sessionStorage',
        idbOpenTimeout: 200,
      });
      await strata.ready();
      expect(strata.storage).toBe('sessionStorage');
      expect(errors.map((e) => e.code)).toEqual(['STORAGE_UNAVAILABLE']);
      await strata.close();
    } finally {
      await hung.release();
    }
  });

  itForceClosing(
    'a connection the browser closes (site data cleared) is reported and reopened on next use',
    async () => {
      const { strata, errors, namespace } = makeStrata({ defaultStorage: 'indexedDB' });
      await strata.set('a', 1);
      await forceCloseByBrowser(`strata:${encodeURIComponent(namespace)}`);
      await strata.set('b', 2);
      expect(await strata.get('b')).toBe(2);
      expect(strata.storage).toBe('indexedDB');
      expect(
        errors.map((e) => [e.code, e.message.includes('closed the IndexedDB connection')]),
      ).toEqual([['STORAGE_UNAVAILABLE', true]]);
      await strata.close();
    },
  );

  it('a database a newer release left without what this one reads is reported by its version and skipped', async () => {
    const { strata: first, namespace } = makeStrata({ defaultStorage: 'localStorage' });
    await first.close();
    const newer = await rawOpen(`strata:${encodeURIComponent(namespace)}`, 5, (db) =>
      db.createObjectStore('records'),
    );
    newer.close();
    const { strata, errors } = makeStrata({
      namespace,
      defaultStorage: 'indexedDB',
      fallbackStorage: 'localStorage',
    });
    await strata.ready();
    expect(strata.storage).toBe('localStorage');
    expect(errors.map((e) => e.code)).toContain('STORAGE_UNAVAILABLE');
    expect(errors.some((e) => /at version 5, newer than this release/.test(e.message))).toBe(true);
    await strata.close();
  });

  it('another tab upgrading the database to a newer compatible schema: this release steps aside, adopts it, and keeps its data', async () => {
    const { strata, errors, namespace } = makeStrata({ defaultStorage: 'indexedDB' });
    await strata.set('a', 1);
    // A newer release in another tab adds a store; our connection closes instead of blocking it.
    const newer = await rawOpen(`strata:${encodeURIComponent(namespace)}`, 2, (db) =>
      db.createObjectStore('extra'),
    );
    expect(newer.objectStoreNames.contains('records')).toBe(true);
    newer.close();
    expect(await strata.get('a')).toBe(1);
    await strata.set('b', 2);
    expect(await strata.keys()).toEqual(['a', 'b']);
    expect(strata.storage).toBe('indexedDB');
    // A new instance of this release opens the upgraded database too.
    const { strata: later } = makeStrata({ namespace, defaultStorage: 'indexedDB' });
    expect(await later.get('b')).toBe(2);
    expect(later.storage).toBe('indexedDB');
    expect(errors).toEqual([]);
    await Promise.all([strata.close(), later.close()]);
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

describe('src/idb.ts: the connection lifecycle every IndexedDB user shares', () => {
  const upgrade = (db: { createObjectStore: (name: string) => unknown }): void => {
    db.createObjectStore('s');
  };
  const fresh = (): string => `idb-lifecycle-${uniqueNamespace()}`;

  it('a newer version opened elsewhere makes ours close (blocking) instead of being blocked', async () => {
    const name = fresh();
    const events: IdbEvent[] = [];
    const connection = idbConnection(name, 1, { upgrade, onEvent: (e) => events.push(e) });
    const first = await connection.get();
    await first.put('s', 'v', 'k');
    const newer = await rawOpen(name, 2); // rejects if blocked
    expect(events).toEqual(['blocking']);
    newer.close();
    // Ours is behind now: the next use tries to open version 1 again and reports why it cannot.
    await expect(connection.get()).rejects.toMatchObject({ name: 'VersionError' });
    connection.close();
    await dropDatabase(name);
  });

  it('a delete elsewhere is never blocked either, and the next use opens the database again', async () => {
    const name = fresh();
    const events: IdbEvent[] = [];
    const connection = idbConnection(name, 1, { upgrade, onEvent: (e) => events.push(e) });
    const first = await connection.get();
    await first.put('s', 'v', 'k');
    await rawDelete(name); // rejects if blocked
    expect(events).toEqual(['blocking']);
    const second = await connection.get();
    expect(second).not.toBe(first);
    expect(await second.get('s', 'k')).toBeUndefined();
    expect(await connection.get()).toBe(second);
    connection.close();
    await expect(connection.get()).rejects.toMatchObject({ code: 'CLOSED' });
    await dropDatabase(name);
  });

  itForceClosing(
    'a connection terminated by the browser is reported and reopened on next use',
    async () => {
      const name = fresh();
      const events: IdbEvent[] = [];
      const connection = idbConnection(name, 1, { upgrade, onEvent: (e) => events.push(e) });
      const first = await connection.get();
      await forceCloseByBrowser(name);
      await expect.poll(() => events).toEqual(['terminated']);
      const second = await connection.get();
      expect(second).not.toBe(first);
      await second.put('s', 'v', 'k');
      expect(await second.get('s', 'k')).toBe('v');
      connection.close();
      await dropDatabase(name);
    },
  );

  it('an upgrade that waits for an older connection reports blocked, times out, and closes the late connection', async () => {
    const name = fresh();
    const older = await rawOpen(name, 1, (db) => db.createObjectStore('s'));
    older.onversionchange = null; // another tab that never lets go
    const events: IdbEvent[] = [];
    const opening = openDatabase(name, 2, {
      upgrade: () => undefined,
      timeout: 200,
      onEvent: (e) => events.push(e),
    });
    await expect(opening).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(events).toEqual(['blocked']);
    // The other tab lets go: our open completes late and is closed at once, so it holds
    // nothing back (it would report "blocking" here if it had been kept).
    older.close();
    await expect
      .poll(async () => (await indexedDB.databases()).find((d) => d.name === name)?.version)
      .toBe(2);
    (await rawOpen(name, 3)).close();
    expect(events).toEqual(['blocked']);
    await dropDatabase(name);
  });

  it('an open without IndexedDB at all is STORAGE_UNAVAILABLE; one that throws is a rejection', async () => {
    const open = IDBFactory.prototype.open;
    restore.push(
      patch(IDBFactory.prototype, 'open', function () {
        throw domError('SecurityError');
      }),
    );
    await expect(openDatabase(fresh(), 1, { upgrade })).rejects.toMatchObject({
      name: 'SecurityError',
    });
    restore.pop()?.();
    expect(IDBFactory.prototype.open).toBe(open);
    restore.push(patchGetter(globalThis, 'indexedDB', () => undefined));
    await expect(openDatabase(fresh(), 1, { upgrade })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
    });
  });
});
