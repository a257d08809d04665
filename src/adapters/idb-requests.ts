/**
 * IndexedDB's requests as promises: the few helpers strata needs, in place of a wrapper
 * library (the `idb` package cost 1.1 kB gzip of every bundle for the same three calls).
 */

/** Opens (and creates or upgrades with `upgrade`) a database; waits while an older connection blocks an upgrade. */
export function openDatabase(name: string, version: number, upgrade: (database: IDBDatabase) => void): Promise<IDBDatabase> {
  const req = indexedDB.open(name, version);
  req.onupgradeneeded = () => upgrade(req.result);
  return request(req);
}

/** The result of a request. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when `tx` commits; rejects with the reason when it aborts. */
export function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('Transaction aborted', 'AbortError'));
    tx.onerror = (event) => event.preventDefault(); // the abort handler reports it
  });
}

/**
 * Runs `work` on one store of a readwrite transaction and resolves with its result once the
 * transaction commits.
 */
export async function inTransaction<T>(database: IDBDatabase, storeName: string, work: (store: IDBObjectStore) => Promise<T>): Promise<T> {
  const tx = database.transaction(storeName, 'readwrite');
  const done = completion(tx);
  try {
    const result = await work(tx.objectStore(storeName));
    await done;
    return result;
  } catch (error) {
    done.catch(() => undefined);
    throw error;
  }
}
