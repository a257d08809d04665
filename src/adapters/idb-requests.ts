import { StrataError } from '../errors.js';

/**
 * IndexedDB's requests as promises: the few helpers strata needs, in place of a wrapper
 * library (the `idb` package cost 1.1 kB gzip of every bundle for the same three calls).
 */

/**
 * Opens (and creates or upgrades with `upgrade`) a database. `open()` can hang forever in
 * some browsers (and waits while an older connection blocks an upgrade): after `timeout` ms
 * it fails with `TIMEOUT`, and a connection that still arrives later is closed, not leaked.
 * A synchronous throw of `indexedDB.open` (opaque origins, blocked storage) is a rejection.
 */
export function openDatabase(
  name: string,
  version: number,
  upgrade: (database: IDBDatabase) => void,
  timeout = 3_000,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new StrataError('TIMEOUT', `IndexedDB open did not answer within ${timeout} ms.`));
    }, timeout);
    let req: IDBOpenDBRequest;
    try {
      req = indexedDB.open(name, version);
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    req.onupgradeneeded = () => upgrade(req.result);
    req.onsuccess = () => {
      clearTimeout(timer);
      if (timedOut) req.result.close();
      else resolve(req.result);
    };
    req.onerror = () => {
      clearTimeout(timer);
      reject(req.error ?? new Error('IndexedDB open failed'));
    };
  });
}

/** The result of a request. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/**
 * Resolves when `tx` commits; rejects when it aborts. A failed request aborts the whole
 * transaction, so no write of it is acknowledged when one failed; the request's error is
 * the rejection, and it is handled here (browsers that report unhandled request errors to
 * `window.onerror` never see it).
 */
export function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: unknown;
    tx.oncomplete = () => resolve();
    tx.onerror = (event) => {
      event.preventDefault();
      failure ??= (event.target as IDBRequest | null)?.error ?? undefined;
      try {
        tx.abort();
      } catch {
        // already aborting or finished
      }
    };
    // The transaction's own error (quota at commit) first; a request's error when we aborted.
    tx.onabort = () =>
      reject(tx.error ?? failure ?? new DOMException('Transaction aborted', 'AbortError'));
  });
}

/**
 * Runs `work` on one store of a readwrite transaction and resolves with its result once the
 * transaction commits.
 */
export async function inTransaction<T>(
  database: IDBDatabase,
  storeName: string,
  work: (store: IDBObjectStore) => Promise<T>,
): Promise<T> {
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
