// The contenders of the benchmark: each is a small key-value facade over one library or
// one raw browser API. Phases call set/get; the floors override the batch phases.
import {
  createStore,
  get as ikvGet,
  set as ikvSet,
  keys as ikvKeys,
  delMany as ikvDelMany,
  clear as ikvClear,
} from 'idb-keyval';
import localforage from 'localforage';
import SecureLSModule from 'secure-ls';
import { Strata as Published, IndexedDBAdapter as PublishedIdb } from 'strata-storage-published';
import { Strata, type StorageKind } from 'strata-storage';
import { base64ToBytes, bytesToBase64 } from '../../src/codec/base64.js';

export type Entry = [key: string, value: unknown];

/** One thing being measured. Batch methods are optional overrides of the default loops. */
export interface Contender {
  set(key: string, value: unknown): Promise<void> | void;
  get(key: string): Promise<unknown> | unknown;
  /** keys(prefix) then clear({ prefix }); resolves to how many keys the listing found. */
  keysAndClear(prefix: string): Promise<number>;
  seqSetAll?(entries: Entry[]): Promise<void>;
  seqGetAll?(keys: string[]): Promise<void>;
  concSetAll?(entries: Entry[]): Promise<void>;
  concGetAll?(keys: string[]): Promise<void>;
  close?(): Promise<void> | void;
}

export const PASSWORD = 'correct horse battery staple';

// ── raw IndexedDB helpers ──────────────────────────────────────────────────────────────

export function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}
export async function openRaw(name: string): Promise<IDBDatabase> {
  const r = indexedDB.open(name, 1);
  r.onupgradeneeded = () => r.result.createObjectStore('kv');
  return req(r);
}
async function rawPut(db: IDBDatabase, key: string, value: unknown): Promise<void> {
  const tx = db.transaction('kv', 'readwrite');
  tx.objectStore('kv').put(value, key);
  await done(tx);
}
async function rawGet(db: IDBDatabase, key: string): Promise<unknown> {
  return req(db.transaction('kv', 'readonly').objectStore('kv').get(key));
}
async function rawKeysAndClear(db: IDBDatabase, prefix: string): Promise<number> {
  const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
  const tx = db.transaction('kv', 'readwrite');
  const store = tx.objectStore('kv');
  const keys = await req(store.getAllKeys(range));
  store.delete(range);
  await done(tx);
  return keys.length;
}
/** Puts every entry in one transaction (the IndexedDB floor). */
async function rawPutAll(db: IDBDatabase, entries: Entry[]): Promise<void> {
  const tx = db.transaction('kv', 'readwrite');
  const store = tx.objectStore('kv');
  for (const [k, v] of entries) store.put(v, k);
  await done(tx);
}
async function rawGetAll(db: IDBDatabase, keys: string[]): Promise<void> {
  const store = db.transaction('kv', 'readonly').objectStore('kv');
  await Promise.all(keys.map((k) => req(store.get(k))));
}

// ── raw localStorage ───────────────────────────────────────────────────────────────────

function lsKeysAndClear(prefix: string): number {
  const found: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k !== null && k.startsWith(prefix)) found.push(k);
  }
  for (const k of found) localStorage.removeItem(k);
  return found.length;
}

// ── raw AES-GCM ────────────────────────────────────────────────────────────────────────

const enc = new TextEncoder();
const dec = new TextDecoder();
export async function aesKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}
async function seal(key: CryptoKey, value: unknown): Promise<Uint8Array<ArrayBuffer>> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, enc.encode(JSON.stringify(value))),
  );
  const out = new Uint8Array(12 + ct.length);
  out.set(iv);
  out.set(ct, 12);
  return out;
}
async function open(key: CryptoKey, blob: Uint8Array<ArrayBuffer>): Promise<unknown> {
  const pt = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: blob.subarray(0, 12) },
    key,
    blob.subarray(12),
  );
  return JSON.parse(dec.decode(pt));
}
// The floor encodes for localStorage with the fastest base64 the browser has (native
// Uint8Array.toBase64/fromBase64 where present), the codec strata itself uses.
const toB64 = bytesToBase64;
const fromB64 = base64ToBytes;

// ── strata (ours) ──────────────────────────────────────────────────────────────────────

function strataFacade(s: Strata): Contender {
  return {
    set: (k, v) => s.set(k, v),
    get: (k) => s.get(k),
    async keysAndClear(prefix) {
      const keys = await s.keys(prefix);
      await s.clear({ prefix });
      return keys.length;
    },
    close: () => s.close(),
  };
}

async function ours(storage: StorageKind, encrypted: boolean, id: string): Promise<Contender> {
  const s = new Strata({
    namespace: `bench-${id}`,
    defaultStorage: storage,
    ...(encrypted ? { encryption: { enabled: true, password: PASSWORD } } : {}),
    ttl: { cleanupInterval: 0 },
  });
  await s.ready();
  return strataFacade(s);
}

// ── strata-storage 2.x (published) ─────────────────────────────────────────────────────

async function published(encrypted: boolean, id: string): Promise<Contender> {
  const s = new Published({
    defaultStorages: ['indexedDB'],
    adapters: { indexedDB: { dbName: `pub-${id}` } },
    ttl: { autoCleanup: false },
    ...(encrypted ? { encryption: { enabled: true, password: PASSWORD } } : {}),
  });
  s.registerAdapter(new PublishedIdb());
  await s.initialize();
  return {
    set: (k, v) => s.set(k, v),
    get: (k) => s.get(k),
    async keysAndClear(prefix) {
      const keys = await s.keys(`${prefix}*`, { storage: 'indexedDB' });
      await s.clear({ storage: 'indexedDB', pattern: `${prefix}*` });
      return keys.length;
    },
    close: () => s.close(),
  };
}

// ── the registry ───────────────────────────────────────────────────────────────────────

/** Contender name → factory. `id` makes database names unique per run. */
export const CONTENDERS: Record<string, (id: string) => Promise<Contender>> = {
  'raw localStorage': async () => ({
    set: (k, v) => localStorage.setItem(k, JSON.stringify(v)),
    get: (k) => JSON.parse(localStorage.getItem(k) ?? 'null'),
    keysAndClear: async (p) => lsKeysAndClear(p),
  }),
  'raw IDB (tx/op)': async (id) => {
    const db = await openRaw(`raw-${id}`);
    return {
      set: (k, v) => rawPut(db, k, v),
      get: (k) => rawGet(db, k),
      keysAndClear: (p) => rawKeysAndClear(db, p),
      close: () => db.close(),
    };
  },
  'raw IDB (1 tx) floor': async (id) => {
    const db = await openRaw(`raw1-${id}`);
    return {
      set: (k, v) => rawPut(db, k, v),
      get: (k) => rawGet(db, k),
      keysAndClear: (p) => rawKeysAndClear(db, p),
      seqSetAll: (e) => rawPutAll(db, e),
      concSetAll: (e) => rawPutAll(db, e),
      seqGetAll: (k) => rawGetAll(db, k),
      concGetAll: (k) => rawGetAll(db, k),
      close: () => db.close(),
    };
  },
  'idb-keyval': async (id) => {
    const store = createStore(`ikv-${id}`, 'kv');
    return {
      set: (k, v) => ikvSet(k, v, store),
      get: (k) => ikvGet(k, store),
      async keysAndClear(prefix) {
        const keys = (await ikvKeys<string>(store)).filter((k) => k.startsWith(prefix));
        await ikvDelMany(keys, store);
        return keys.length;
      },
      close: () => ikvClear(store),
    };
  },
  'localforage (IDB)': (id) => forage(id, localforage.INDEXEDDB),
  'localforage (LS)': (id) => forage(id, localforage.LOCALSTORAGE),
  'secure-ls (AES)': async (id) => {
    // The UMD build arrives as { default: SecureLS } through Vite's CJS interop.
    const SecureLS = ((SecureLSModule as unknown as { default?: unknown }).default ??
      SecureLSModule) as new (config: object) => any;
    const ls = new SecureLS({
      encodingType: 'aes',
      encryptionSecret: PASSWORD,
      metaKey: `__sls_meta_${id}`,
    });
    return {
      set: (k, v) => ls.set(k, v),
      get: (k) => ls.get(k),
      async keysAndClear(prefix) {
        const keys = ls.getAllKeys().filter((k: string) => k.startsWith(prefix));
        for (const k of keys) ls.remove(k);
        return keys.length;
      },
    };
  },
  'strata 2.x (IDB)': (id) => published(false, id),
  'strata 2.x (IDB, encrypted)': (id) => published(true, id),
  'AES-GCM only (no storage)': async () => {
    const key = await aesKey();
    const held = new Map<string, Uint8Array<ArrayBuffer>>();
    return {
      set: async (k, v) => void held.set(k, await seal(key, v)),
      get: async (k) => open(key, held.get(k)!),
      keysAndClear: async (p) => {
        const keys = [...held.keys()].filter((k) => k.startsWith(p));
        for (const k of keys) held.delete(k);
        return keys.length;
      },
    };
  },
  'AES-GCM + LS floor': async () => {
    const key = await aesKey();
    return {
      set: async (k, v) => localStorage.setItem(k, toB64(await seal(key, v))),
      get: async (k) => open(key, fromB64(localStorage.getItem(k)!)),
      keysAndClear: async (p) => lsKeysAndClear(p),
    };
  },
  'AES-GCM + IDB floor': async (id) => {
    const key = await aesKey();
    const db = await openRaw(`aes-${id}`);
    const sealAll = (entries: Entry[]): Promise<Entry[]> =>
      Promise.all(entries.map(async ([k, v]) => [k, await seal(key, v)] as Entry));
    return {
      set: async (k, v) => rawPut(db, k, await seal(key, v)),
      get: async (k) => open(key, (await rawGet(db, k)) as Uint8Array<ArrayBuffer>),
      keysAndClear: (p) => rawKeysAndClear(db, p),
      // Concurrent: encrypt all in parallel, then one transaction; the best a library can do.
      concSetAll: async (e) => rawPutAll(db, await sealAll(e)),
      concGetAll: async (keys) => {
        const store = db.transaction('kv', 'readonly').objectStore('kv');
        const blobs = await Promise.all(keys.map((k) => req(store.get(k))));
        await Promise.all(blobs.map((b) => open(key, b as Uint8Array<ArrayBuffer>)));
      },
      close: () => db.close(),
    };
  },
  'strata LS': (id) => ours('localStorage', false, id),
  'strata IDB': (id) => ours('indexedDB', false, id),
  'strata LS encrypted': (id) => ours('localStorage', true, id),
  'strata IDB encrypted': (id) => ours('indexedDB', true, id),
};

async function forage(id: string, driver: string): Promise<Contender> {
  const store = localforage.createInstance({ name: `lf-${id}`, storeName: 'kv', driver });
  await store.ready();
  return {
    set: async (k, v) => void (await store.setItem(k, v)),
    get: (k) => store.getItem(k),
    async keysAndClear(prefix) {
      const keys = (await store.keys()).filter((k) => k.startsWith(prefix));
      await Promise.all(keys.map((k) => store.removeItem(k)));
      return keys.length;
    },
  };
}
