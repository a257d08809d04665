import { unwrap, type IDBPDatabase } from 'idb';
import { toStorageError } from '../errors.js';
import { committed, idbConnection, readStore, type IdbEvent } from '../idb.js';
import { assertRecord } from '../record.js';
import type { StorageKind } from '../types.js';
import { encodeNamespace, type StorageAdapter } from './adapter.js';

const RECORDS = 'records';
const META = 'meta';
const SCHEMA_VERSION = 1;

/** Options of {@link indexedDbAdapter}. */
export interface IndexedDbAdapterOptions {
  /** `'indexedDB'`, or `'secure'` for the encrypted-only layer (its own database). */
  kind?: Extract<StorageKind, 'indexedDB' | 'secure'>;
  /** Milliseconds to wait for `open()` (it can hang forever in some browsers). Default 3,000. */
  openTimeout?: number;
  /** Reports the connection's lifecycle (each event is handled already; see {@link IdbEvent}). */
  onConnectionEvent?: ((event: IdbEvent) => void) | undefined;
}

/**
 * IndexedDB through one connection per adapter. Requests issued in the same task share
 * one transaction (a transaction stays active until the task's microtasks end), so a
 * burst of `set`s commits once; each write resolves only when its transaction completes.
 * A connection closed for another version or by the browser is reopened on next use, and
 * an operation that met a closing connection or an aborted transaction is retried once.
 * Reads and writes drive raw requests (no wrapper objects or promise per request on the hot
 * path); queries and metadata use `idb`'s wrapped ones.
 */
export function indexedDbAdapter(
  namespace: string,
  options: IndexedDbAdapterOptions = {},
): StorageAdapter {
  const kind = options.kind ?? 'indexedDB';
  const name = `strata${kind === 'secure' ? '-secure' : ''}:${encodeNamespace(namespace)}`;
  const connection = idbConnection(name, SCHEMA_VERSION, {
    upgrade: (database) => {
      const records = database.createObjectStore(RECORDS);
      records.createIndex('exp', 'e');
      records.createIndex('tags', 'g', { multiEntry: true });
      database.createObjectStore(META);
    },
    timeout: options.openTimeout,
    onEvent: options.onConnectionEvent,
    // A newer release's schema is used as long as it keeps the stores and indexes this one reads.
    compatible: (database) => {
      if (!database.objectStoreNames.contains(RECORDS) || !database.objectStoreNames.contains(META))
        return false;
      const indexes = database.transaction(RECORDS).store.indexNames;
      return indexes.contains('exp') && indexes.contains('tags');
    },
  });
  let reads: ReadBatch | undefined;
  let writeTx: WriteBatch | undefined;
  let closed = false;

  /** Runs `run` on the connection; one found closing is dropped and the run retried once. */
  const withDb = async <T>(
    what: string,
    run: (database: IDBPDatabase) => Promise<T>,
    key?: string,
  ): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      // The hot path takes the open connection as it is (see IdbConnection.peek).
      let database = connection.peek();
      if (!database) {
        try {
          database = await connection.get();
        } catch (error) {
          throw toStorageError(error, 'IndexedDB open');
        }
      }
      try {
        return await run(database);
      } catch (error) {
        const retryable = isClosingError(error) && attempt === 0 && !closed;
        if (!retryable) throw toStorageError(error, `IndexedDB ${what}`, key);
        // An aborted transaction leaves a healthy connection; a closing one is dropped.
        if (!(error instanceof DOMException && error.name === 'AbortError'))
          connection.drop(database);
        reads = undefined;
        writeTx = undefined;
      }
    }
  };

  /** Issues a read on the readonly transaction already open in this task, or on a new one. */
  const readRequest = <T>(
    database: IDBDatabase,
    issue: (store: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T> => {
    if (reads && reads.tx.db === database) {
      try {
        return batched(reads, issue(reads.tx.objectStore(RECORDS)));
      } catch (error) {
        if (!isInactiveError(error)) throw error;
      }
    }
    reads = { tx: database.transaction(RECORDS, 'readonly'), pending: 0, answered: [] };
    return batched(reads, issue(reads.tx.objectStore(RECORDS)));
  };

  /** Queues a put or delete on this task's readwrite transaction; resolves when it commits. */
  const mutate = (
    what: string,
    key: string,
    apply: (store: IDBObjectStore) => void,
  ): Promise<void> =>
    withDb(
      what,
      (database) => {
        const raw = unwrap(database);
        if (writeTx && writeTx.tx.db === raw) {
          try {
            apply(writeTx.tx.objectStore(RECORDS));
            return writeTx.done;
          } catch (error) {
            if (!isInactiveError(error)) throw error;
          }
        }
        const tx = raw.transaction(RECORDS, 'readwrite', { durability: 'relaxed' });
        const batch: WriteBatch = { tx, done: committed(tx) };
        const settled = (): void => {
          if (writeTx === batch) writeTx = undefined;
        };
        batch.done.then(settled, settled);
        writeTx = batch;
        apply(batch.tx.objectStore(RECORDS));
        return batch.done;
      },
      key,
    );

  const queryKeys = (
    what: string,
    query: (database: IDBPDatabase) => Promise<IDBValidKey[]>,
  ): Promise<string[]> => withDb(what, async (database) => (await query(database)).map(String));

  return {
    kind,
    shared: true,
    // Rejects with the reason (a hung open, a schema a newer release changed), for the report.
    isAvailable: async () => {
      await connection.get();
      return true;
    },
    read: (key) =>
      withDb(
        'read',
        async (database) => {
          const value: unknown = await readRequest(unwrap(database), (store) => store.get(key));
          if (value === undefined) return undefined;
          assertRecord(value, key);
          return value;
        },
        key,
      ),
    write: (key, record) => mutate('write', key, (store) => store.put(record, key)),
    delete: (key) => mutate('delete', key, (store) => store.delete(key)),
    deleteRange: (prefix) =>
      mutate('delete', prefix, (store) => {
        const range = prefixRange(prefix);
        if (range) store.delete(range);
        else store.clear();
      }),
    keys: (prefix, now) =>
      queryKeys('keys', async (database) => {
        const store = readStore(database, RECORDS);
        const [all, expired] = await Promise.all([
          store.getAllKeys(prefixRange(prefix)),
          store.index('exp').getAllKeys(IDBKeyRange.upperBound(now)),
        ]);
        if (expired.length === 0) return all;
        const dead = new Set(expired);
        return all.filter((key) => !dead.has(key));
      }),
    keysTagged: (tags, prefix) =>
      queryKeys('tag query', async (database) => {
        const index = readStore(database, RECORDS).index('tags');
        const lists = await Promise.all(tags.map((tag) => index.getAllKeys(tag)));
        const keys = new Set(lists.flat().map(String));
        return [...keys].filter((key) => key.startsWith(prefix));
      }),
    expiredKeys: (now) =>
      queryKeys('sweep', (database) =>
        readStore(database, RECORDS).index('exp').getAllKeys(IDBKeyRange.upperBound(now)),
      ),
    allKeys: () => queryKeys('keys', (database) => readStore(database, RECORDS).getAllKeys()),
    readMeta: (metaName) =>
      withDb('read', async (database) => {
        const value: unknown = await readStore(database, META).get(metaName);
        return typeof value === 'string' ? value : undefined;
      }),
    writeMeta: (metaName, value) =>
      withDb('write', async (database) => {
        await database.put(META, value, metaName);
      }),
    deleteMeta: (metaName) => withDb('delete', (database) => database.delete(META, metaName)),
    close: async () => {
      closed = true;
      connection.close(); // the pending write still commits: close() waits for transactions
      await writeTx?.done.catch(() => undefined);
    },
  };
}

/** This task's readwrite transaction, shared by the writes issued in it. */
interface WriteBatch {
  tx: IDBTransaction;
  done: Promise<void>;
}

/** The reads issued on one readonly transaction that are not settled yet. */
interface ReadBatch {
  tx: IDBTransaction;
  pending: number;
  answered: Array<() => void>;
}

/**
 * Settles a read together with the other reads of its batch, when the last of them is
 * answered. A burst of gets then receives every record at once, as `Promise.all` over one
 * transaction does, instead of running each get's follow-up work (decryption, parsing)
 * between the answers still arriving, which delays them. A lone read settles as soon as
 * it is answered.
 */
function batched<T>(batch: ReadBatch, req: IDBRequest<T>): Promise<T> {
  batch.pending++;
  return new Promise((resolve, reject) => {
    const answer = (settle: () => void): void => {
      batch.answered.push(settle);
      if (--batch.pending > 0) return;
      const answered = batch.answered;
      batch.answered = [];
      for (const run of answered) run();
    };
    req.onsuccess = () => answer(() => resolve(req.result));
    req.onerror = () => answer(() => reject(req.error ?? new Error('IndexedDB request failed')));
  });
}

/** The transaction of an earlier task is no longer usable: open a new one. */
function isInactiveError(error: unknown): boolean {
  return (
    error instanceof DOMException &&
    (error.name === 'TransactionInactiveError' || error.name === 'InvalidStateError')
  );
}

/** The connection was closing, or the transaction was aborted without a storage error: worth one retry. */
function isClosingError(error: unknown): boolean {
  return (
    error instanceof DOMException &&
    (error.name === 'InvalidStateError' ||
      error.name === 'TransactionInactiveError' ||
      error.name === 'UnknownError' ||
      error.name === 'AbortError')
  );
}

/**
 * Exactly the keys that start with `prefix`: from the prefix up to, not including, its
 * successor (the last code unit below U+FFFF raised by one); `undefined` for every key.
 */
function prefixRange(prefix: string): IDBKeyRange | undefined {
  if (prefix === '') return undefined;
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--;
  if (end === 0) return IDBKeyRange.lowerBound(prefix);
  const successor = prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
  return IDBKeyRange.bound(prefix, successor, false, true);
}
