import { isExpired } from '../ttl.js';
import type { StoredRecord } from '../record.js';
import type { StorageAdapter } from './adapter.js';

/** Per-tab maps, one per namespace, shared by the instances of a namespace in this tab. */
const tabStores = new Map<string, Map<string, StoredRecord>>();

/** The in-memory layer: per tab, gone on reload, never full. Records are copied in and out. */
export function memoryAdapter(namespace: string): StorageAdapter {
  let records = tabStores.get(namespace);
  if (!records) tabStores.set(namespace, (records = new Map()));
  const store = records;
  const meta = new Map<string, string>();
  const select = (test: (key: string, record: StoredRecord) => boolean): string[] => {
    const out: string[] = [];
    for (const [key, record] of store) if (test(key, record)) out.push(key);
    return out;
  };
  return {
    kind: 'memory',
    shared: false,
    isAvailable: () => Promise.resolve(true),
    read: (key) => Promise.resolve(copy(store.get(key))),
    write: (key, record) => {
      store.set(key, copy(record));
      return Promise.resolve();
    },
    delete: (key) => {
      store.delete(key);
      return Promise.resolve();
    },
    keys: (prefix, now) =>
      Promise.resolve(select((key, r) => key.startsWith(prefix) && !isExpired(r, now))),
    keysTagged: (tags, prefix) =>
      Promise.resolve(select((key, r) => key.startsWith(prefix) && hasAnyTag(r, tags))),
    expiredKeys: (now) => Promise.resolve(select((_, r) => isExpired(r, now))),
    allKeys: () => Promise.resolve([...store.keys()]),
    readMeta: (name) => Promise.resolve(meta.get(name)),
    writeMeta: (name, value) => {
      meta.set(name, value);
      return Promise.resolve();
    },
    deleteMeta: (name) => {
      meta.delete(name);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

/** True when the record carries at least one of `tags`. */
export function hasAnyTag(record: Pick<StoredRecord, 'g'>, tags: readonly string[]): boolean {
  return record.g !== undefined && record.g.some((tag) => tags.includes(tag));
}

function copy<T extends StoredRecord | undefined>(record: T): T {
  if (record === undefined) return record;
  return (record.g ? { ...record, g: [...record.g] } : { ...record }) as T;
}
