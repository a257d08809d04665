import { useCallback, useEffect, useState } from 'react';
import { store } from './sdk.js';

interface Row {
  area: string;
  key: string;
  value: string;
}

const PREVIEW = 90;
const preview = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > PREVIEW ? `${text.slice(0, PREVIEW)}…` : text;
};

/** Every raw entry of Web Storage and IndexedDB on this origin that belongs to strata. */
async function readRaw(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [area, storage] of [
    ['localStorage', localStorage],
    ['sessionStorage', sessionStorage],
  ] as const) {
    for (const key of Object.keys(storage).sort())
      if (key.startsWith('strata')) rows.push({ area, key, value: preview(storage.getItem(key)) });
  }
  for (const { name } of await indexedDB.databases()) {
    if (!name?.startsWith('strata')) continue;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const storeName of Array.from(db.objectStoreNames)) {
      const entries = await new Promise<Array<[IDBValidKey, unknown]>>((resolve) => {
        const objectStore = db.transaction(storeName, 'readonly').objectStore(storeName);
        const keys = objectStore.getAllKeys();
        const values = objectStore.getAll();
        values.onsuccess = () => resolve(keys.result.map((key, i) => [key, values.result[i]]));
        values.onerror = () => resolve([]);
      });
      for (const [key, value] of entries)
        rows.push({
          area: `IndexedDB ${name}/${storeName}`,
          key: String(key),
          value:
            value instanceof CryptoKey
              ? `CryptoKey (extractable: ${value.extractable})`
              : preview(value),
        });
    }
    db.close();
  }
  return rows;
}

/** Shows what actually sits in the browser: ciphertext where the SDK encrypts. */
export function StorageInspector() {
  const [rows, setRows] = useState<Row[]>([]);
  const reload = useCallback(() => void readRaw().then(setRows), []);
  useEffect(() => {
    reload();
    return store.subscribe('', () => setTimeout(reload, 50));
  }, [reload]);
  return (
    <section className="card wide">
      <h2>Storage inspector</h2>
      <p className="hint">
        Raw entries as the browser holds them. Values and tags are inside AES-GCM ciphertext; key
        names, write times and expiry are in the clear. The device key is a non-extractable
        CryptoKey: page script cannot read it, though its bytes are in the profile&apos;s files.
      </p>
      <button className="secondary" onClick={reload}>
        Reload
      </button>
      <div className="table">
        <table data-testid="inspector">
          <thead>
            <tr>
              <th>Where</th>
              <th>Key</th>
              <th>Raw value</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={`${row.area}/${row.key}`}>
                <td>{row.area}</td>
                <td>
                  <code>{row.key}</code>
                </td>
                <td>
                  <code>{row.value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
