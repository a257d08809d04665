import { assertRecord, decodeRecordText, type StoredRecord } from '../../src/record.js';

/** One raw entry of browser storage, and what of it is readable without the keys. */
export interface Entry {
  area: string;
  key: string;
  kind: 'sealed' | 'clear' | 'key' | 'hashed';
  /** What anyone with the profile can read of it (times, sizes, key properties). */
  facts: string[];
  /** The stored text (shortened), or a description of a stored object. */
  raw: string;
}

const PREVIEW = 120;
const preview = (text: string) => (text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text);

/** `12 s`, `24 h`, `30 d`: a duration in ms, roughly. */
function span(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** What anyone can read of a record (the SDK's own decoder reads it, as an attacker's would). */
function recordFacts(record: StoredRecord): string[] {
  const expiry = record.e
    ? `expires in ${span(record.e - Date.now())}${record.s === 1 ? ', sliding' : ''}`
    : 'no expiry';
  const payload = record.x === 1 ? `${record.p.length} chars of ciphertext` : 'value readable';
  return [payload, expiry];
}

/** An entry of Web Storage: a record (header line, payload), or other text. */
function webStorageEntry(area: string, key: string, text: string): Entry {
  let record: StoredRecord;
  try {
    record = decodeRecordText(text, key);
  } catch {
    return { area, key, kind: 'clear', facts: [metadata(key)], raw: preview(text) };
  }
  const facts = recordFacts(record);
  if (key.includes('oauth:pending:'))
    return {
      area,
      key,
      kind: 'hashed',
      facts: ['name: SHA-256 of the sign-in state', ...facts.slice(1)],
      raw: preview(text),
    };
  return { area, key, kind: record.x === 1 ? 'sealed' : 'clear', facts, raw: preview(text) };
}

/** What a namespace's metadata entry is for (src/crypto/meta-copies.ts, src/eviction.ts). */
function metadata(key: string): string {
  if (key.endsWith('keys')) return 'key metadata (mode, check value), not the key';
  if (key.endsWith('held')) return 'eviction marker: this storage held data';
  return 'metadata';
}

/** A CryptoKey as the inspector says it: algorithm, type, and whether script can export it. */
const describeKey = (key: CryptoKey) =>
  `${key.type} ${key.algorithm.name} key, extractable: ${key.extractable}`;

/** An entry of IndexedDB: keys, key pairs, records of the IndexedDB layer, other values. */
function indexedDbEntry(area: string, key: string, value: unknown): Entry {
  if (area.endsWith('strata-rotation / markers'))
    return {
      area,
      key,
      kind: 'hashed',
      facts: ['rotation counter, HMAC-SHA-256 of the refresh token'],
      raw: preview(String(value)),
    };
  if (value instanceof CryptoKey)
    return {
      area,
      key,
      kind: 'key',
      facts: [describeKey(value)],
      raw: `CryptoKey (extractable: ${value.extractable})`,
    };
  const object = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  const { privateKey, publicKey } = object;
  if (privateKey instanceof CryptoKey && publicKey instanceof CryptoKey)
    return {
      area,
      key,
      kind: 'key',
      facts: [`DPoP key pair: ${describeKey(privateKey)}`, describeKey(publicKey)],
      raw: `CryptoKeyPair (private key extractable: ${privateKey.extractable})`,
    };
  if (isRecord(object)) {
    const kind = object.x === 1 ? 'sealed' : 'clear';
    return { area, key, kind, facts: recordFacts(object), raw: preview(object.p) };
  }
  return {
    area,
    key,
    kind: 'clear',
    facts: [metadata(key)],
    raw: preview(JSON.stringify(value) ?? String(value)),
  };
}

/** Whether `value` is a record of the IndexedDB layer. */
function isRecord(value: unknown): value is StoredRecord {
  try {
    assertRecord(value);
    return true;
  } catch {
    return false;
  }
}

/** Every raw entry of Web Storage and IndexedDB on this origin that belongs to strata. */
export async function readRaw(): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const [area, storage] of [
    ['localStorage', localStorage],
    ['sessionStorage', sessionStorage],
  ] as const) {
    for (const key of Object.keys(storage).sort())
      if (key.startsWith('strata'))
        entries.push(webStorageEntry(area, key, storage.getItem(key) ?? ''));
  }
  for (const { name } of await indexedDB.databases()) {
    if (!name?.startsWith('strata')) continue;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const storeName of Array.from(db.objectStoreNames)) {
      const rows = await new Promise<Array<[IDBValidKey, unknown]>>((resolve) => {
        const objectStore = db.transaction(storeName, 'readonly').objectStore(storeName);
        const keys = objectStore.getAllKeys();
        const values = objectStore.getAll();
        values.onsuccess = () => resolve(keys.result.map((key, i) => [key, values.result[i]]));
        values.onerror = () => resolve([]);
      });
      for (const [key, value] of rows)
        entries.push(indexedDbEntry(`IndexedDB ${name} / ${storeName}`, String(key), value));
    }
    db.close();
  }
  return entries;
}
