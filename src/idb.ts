import { openDB, type IDBPDatabase, type IDBPObjectStore } from 'idb';
import { StrataError } from './errors.js';

/**
 * The one way strata opens IndexedDB: `idb`'s `openDB`, with a timeout and its lifecycle
 * callbacks handled the same for every database (the adapter's, the keyring, the lease
 * lock, the rotation marker).
 */

/**
 * What a connection tells its owner; each is handled already, the callback only reports.
 * - `'blocked'`: our open waits for connections elsewhere to let go of an older version.
 * - `'blocking'`: another connection wants a newer version or to delete the database; ours
 *   was closed so it can proceed (a connection of ours never holds another version back).
 * - `'terminated'`: the browser closed ours (site data cleared, disk gone).
 * After `'blocking'` and `'terminated'` an {@link IdbConnection} opens again on next use.
 */
export type IdbEvent = 'blocked' | 'blocking' | 'terminated';

/** Options of {@link openDatabase} and {@link idbConnection}. */
export interface IdbOpenOptions {
  /** Creates the stores of a new database (each schema here is at its first version). */
  upgrade: (db: IDBPDatabase) => void;
  /** Milliseconds to wait for `open()`, which can hang forever in some browsers. Default 3,000. */
  timeout?: number | undefined;
  /** Reports each {@link IdbEvent}. */
  onEvent?: ((event: IdbEvent) => void) | undefined;
  /**
   * Whether a database a newer release upgraded past `version` still has what this release
   * uses: it is then opened at its own version and used as it is.
   */
  compatible?: ((db: IDBPDatabase) => boolean) | undefined;
}

/**
 * Opens (creating with `upgrade`) a database. After `timeout` ms it fails with `TIMEOUT`,
 * and a connection that still arrives later is closed, not leaked. No IndexedDB at all is
 * `STORAGE_UNAVAILABLE`; a synchronous throw of `indexedDB.open` (opaque origins, blocked
 * storage) is a rejection. The caller closes the connection when done.
 */
export function openDatabase(
  name: string,
  version: number,
  { upgrade, timeout = 3_000, onEvent, compatible }: IdbOpenOptions,
): Promise<IDBPDatabase> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new StrataError('TIMEOUT', `IndexedDB open did not answer within ${timeout} ms.`));
    }, timeout);
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      reject(error);
    };
    try {
      if (typeof indexedDB === 'undefined')
        throw new StrataError('STORAGE_UNAVAILABLE', 'IndexedDB is not available here.');
      const callbacks = {
        blocked: () => onEvent?.('blocked'),
        blocking: (_current: number, _blocked: number | null, event: IDBVersionChangeEvent) => {
          (event.target as IDBDatabase).close();
          onEvent?.('blocking');
        },
        terminated: () => onEvent?.('terminated'),
      };
      openDB(name, version, { upgrade, ...callbacks })
        .catch((error: unknown) => {
          if (!compatible || !(error instanceof DOMException && error.name === 'VersionError'))
            throw error;
          return openDB(name, undefined, callbacks).then((db) => {
            if (compatible(db)) return db;
            db.close();
            throw new StrataError(
              'STORAGE_UNAVAILABLE',
              `IndexedDB "${name}" is at version ${db.version}, newer than this release (${version}), and lacks what this release uses.`,
              { cause: error },
            );
          });
        })
        .then((db) => {
          clearTimeout(timer);
          if (late) db.close();
          else resolve(db);
        }, fail);
    } catch (error) {
      fail(error);
    }
  });
}

/** One connection to a database, opened on first use and again whenever it was closed. */
export interface IdbConnection {
  /** The open connection; a new one on first use and after `blocking`, `terminated` or {@link drop}. */
  get(): Promise<IDBPDatabase>;
  /**
   * The open connection as it is, `undefined` when none is open (or closed for good). The hot
   * path: resolving a promise with `idb`'s proxy makes it look up `then` through its traps.
   */
  peek(): IDBPDatabase | undefined;
  /** Closes and forgets `db` if it is still the current connection (an operation found it closing). */
  drop(db: IDBPDatabase): void;
  /** Closes for good (running transactions still commit); `get()` then rejects with `CLOSED`. */
  close(): void;
}

/** A long-lived {@link IdbConnection} (see {@link openDatabase} for `options`). */
export function idbConnection(
  name: string,
  version: number,
  options: IdbOpenOptions,
): IdbConnection {
  let current: IDBPDatabase | undefined;
  let opening: Promise<IDBPDatabase> | undefined;
  let closed = false;
  const closedError = (): StrataError => new StrataError('CLOSED', 'This storage layer is closed.');

  const open = async (): Promise<IDBPDatabase> => {
    let db: IDBPDatabase | undefined;
    try {
      db = await openDatabase(name, version, {
        ...options,
        onEvent: (event) => {
          if (event !== 'blocked' && current === db) current = undefined;
          options.onEvent?.(event);
        },
      });
    } finally {
      opening = undefined;
    }
    if (closed) {
      db.close();
      throw closedError();
    }
    return (current = db);
  };

  return {
    get: () => {
      if (closed) return Promise.reject(closedError());
      if (current) return Promise.resolve(current);
      return (opening ??= open());
    },
    peek: () => (closed ? undefined : current),
    drop: (db) => {
      if (current !== db) return;
      current = undefined;
      db.close();
    },
    close: () => {
      closed = true;
      current?.close();
      current = undefined;
    },
  };
}

/**
 * Runs `work` on one store of a readwrite transaction and resolves with its result once the
 * transaction commits; a failed request or abort rejects (and the other rejection is handled).
 */
export async function inStore<T>(
  db: IDBPDatabase,
  storeName: string,
  work: (store: IDBPObjectStore<unknown, [string], string, 'readwrite'>) => Promise<T>,
): Promise<T> {
  const tx = db.transaction(storeName, 'readwrite');
  try {
    const result = await work(tx.store);
    await tx.done;
    return result;
  } catch (error) {
    tx.done.catch(ignore);
    throw error;
  }
}

/**
 * One store of a new readonly transaction. Its `done` is handled: a read aborted by the
 * browser closing the connection rejects there too, and nobody awaits a read's commit.
 */
export function readStore(
  db: IDBPDatabase,
  storeName: string,
): IDBPObjectStore<unknown, [string], string, 'readonly'> {
  const tx = db.transaction(storeName);
  tx.done.catch(ignore);
  return tx.store;
}

/**
 * Resolves when a raw transaction commits; rejects when it aborts, with the transaction's
 * error (quota at commit) or else the first failed request's. `idb`'s `done` rejects on the
 * first request error with a bare `AbortError` instead, which would hide `QuotaExceededError`.
 * The request's error is handled here, so browsers never report it as uncaught.
 */
export function committed(tx: IDBTransaction): Promise<void> {
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
    tx.onabort = () =>
      reject(tx.error ?? failure ?? new DOMException('Transaction aborted', 'AbortError'));
  });
}

function ignore(): void {}
