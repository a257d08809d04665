import { Strata, type StrataError, type StrataOptions } from 'strata-storage';

/** A namespace no other test uses, so suites never see each other's data. */
export function uniqueNamespace(label = 'test'): string {
  return `${label}-${crypto.getRandomValues(new Uint32Array(2)).join('-')}`;
}

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000_000): {
  now: () => number;
  advance: (ms: number) => void;
  set: (t: number) => void;
} {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms), set: (t) => void (time = t) };
}

/** A Strata on a fresh namespace that records the errors it reports; closed by `dispose`. */
export function makeStrata(options: StrataOptions = {}): {
  strata: Strata;
  errors: StrataError[];
  namespace: string;
} {
  const namespace = options.namespace ?? uniqueNamespace();
  const errors: StrataError[] = [];
  const strata = new Strata({ ...options, namespace, onError: (error) => errors.push(error) });
  return { strata, errors, namespace };
}

/** Every raw string this namespace left in Web Storage and IndexedDB, for leak checks. */
export async function rawDump(namespace: string): Promise<string> {
  const parts: string[] = [];
  for (const area of [localStorage, sessionStorage]) {
    for (const key of Object.keys(area))
      if (key.startsWith(encodeURIComponent(namespace))) parts.push(key, area.getItem(key) ?? '');
  }
  for (const name of [
    `strata:${encodeURIComponent(namespace)}`,
    `strata-secure:${encodeURIComponent(namespace)}`,
  ]) {
    parts.push(...(await idbDump(name)));
  }
  return parts.join('\n');
}

async function idbDump(name: string): Promise<string[]> {
  const databases = await indexedDB.databases();
  if (!databases.some((db) => db.name === name)) return [];
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const out: string[] = [];
  for (const storeName of Array.from(db.objectStoreNames)) {
    const all = await new Promise<unknown[]>((resolve, reject) => {
      const request = db.transaction(storeName).objectStore(storeName).getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    out.push(...all.map((value) => JSON.stringify(value)));
  }
  db.close();
  return out;
}
