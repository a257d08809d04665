/** True when the IndexedDB keyring still holds a device key for `namespace`. */
export async function keyringHas(namespace: string): Promise<boolean> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open('strata-keyring', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('keys');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const value = await new Promise<unknown>((resolve, reject) => {
    const request = db.transaction('keys').objectStore('keys').get(namespace);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  db.close();
  return value !== undefined;
}

/** Every localStorage entry of a namespace (records and metadata), to copy back later. */
export function snapshotLocal(namespace: string): Map<string, string> {
  const prefix = encodeURIComponent(namespace);
  const out = new Map<string, string>();
  for (const key of Object.keys(localStorage))
    if (key.startsWith(`${prefix}:`)) out.set(key, localStorage.getItem(key) ?? '');
  return out;
}
