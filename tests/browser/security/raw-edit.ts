import type { StorageKind } from 'strata-storage';

/** A stored record as an attacker with raw storage access sees it (the SDK's envelope). */
export interface RawRecord {
  v: number;
  p: string;
  u: number;
  w: string;
  x?: 1;
  e?: number;
  t?: number;
  s?: 1;
  g?: string[];
}

const HEADER = ['v', 'u', 'w', 'x', 'e', 't', 's', 'g'] as const;

/** Reads the raw record of `key`, as the browser stores it (no SDK involved). */
export async function readRaw(
  kind: StorageKind,
  namespace: string,
  key: string,
): Promise<RawRecord | undefined> {
  if (kind === 'localStorage' || kind === 'sessionStorage') {
    const text = webArea(kind).getItem(webKey(namespace, key));
    if (text === null) return undefined;
    const newline = text.indexOf('\n');
    const header = JSON.parse(text.slice(0, newline)) as unknown[];
    const record: Record<string, unknown> = { p: text.slice(newline + 1) };
    HEADER.forEach((field, index) => {
      if (header[index] !== 0 || field === 'u') record[field] = header[index];
    });
    return record as unknown as RawRecord;
  }
  return (await idbRequest(kind, namespace, 'readonly', (store) => store.get(key))) as
    RawRecord | undefined;
}

/** Writes `record` as the raw stored record of `key`, bypassing the SDK. */
export async function writeRaw(
  kind: StorageKind,
  namespace: string,
  key: string,
  record: RawRecord,
): Promise<void> {
  if (kind === 'localStorage' || kind === 'sessionStorage') {
    const header = HEADER.map((field) => record[field] ?? 0);
    webArea(kind).setItem(webKey(namespace, key), `${JSON.stringify(header)}\n${record.p}`);
    return;
  }
  await idbRequest(kind, namespace, 'readwrite', (store) => store.put(record, key));
}

/** Every raw record text of a namespace's key, as a string (for "is it still there" checks). */
export async function rawText(kind: StorageKind, namespace: string, key: string): Promise<string> {
  return JSON.stringify((await readRaw(kind, namespace, key)) ?? null);
}

function webArea(kind: 'localStorage' | 'sessionStorage'): Storage {
  return kind === 'localStorage' ? localStorage : sessionStorage;
}

function webKey(namespace: string, key: string): string {
  return `${encodeURIComponent(namespace)}:${key}`;
}

async function idbRequest(
  kind: StorageKind,
  namespace: string,
  mode: IDBTransactionMode,
  run: (store: IDBObjectStore) => IDBRequest,
): Promise<unknown> {
  const name = `strata${kind === 'secure' ? '-secure' : ''}:${encodeURIComponent(namespace)}`;
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise((resolve, reject) => {
      const request = run(db.transaction('records', mode).objectStore('records'));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}
