import { it } from 'vitest';
import { cdp, server } from 'vitest/browser';

/** Opens `name` with plain IndexedDB (no handlers of ours): another tab's connection. */
export function rawOpen(
  name: string,
  version?: number,
  upgrade?: (db: IDBDatabase) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`open of ${name} blocked`));
  });
}

/** Deletes `name`; rejects if a connection blocks the delete. */
export function rawDelete(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`delete of ${name} blocked`));
  });
}

/** Deletes `name` after a test; a connection still finishing a transaction only delays it. */
export function dropDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/**
 * Makes every open of `name` hang, as a real browser can: a connection that ignores
 * `versionchange` blocks a delete, and opens queue behind the delete without any event.
 * `release` closes that connection; the delete and the queued opens then go through.
 */
export async function hangOpens(name: string): Promise<{ release: () => Promise<void> }> {
  const holder = await rawOpen(name);
  const deleted = new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
  return {
    release: async () => {
      holder.close();
      await deleted;
    },
  };
}

/** Forcing a close needs the DevTools protocol: Chromium under Playwright only. */
export const canForceClose = server.browser === 'chromium' && server.provider === 'playwright';

/** A test that needs a connection force-closed by the browser: defined where the driver can (Chromium, over CDP), named so. */
export function itForceClosing(title: string, test: () => Promise<void>, timeout?: number): void {
  if (canForceClose) it(`${title} (Chromium: closed over CDP)`, test, timeout);
}

/**
 * Deletes `name` the way DevTools or "clear site data" does: Chromium force-closes its
 * connections, which get a `close` event (what `idb` reports as `terminated`).
 */
export async function forceCloseByBrowser(name: string): Promise<void> {
  await cdp().send('IndexedDB.deleteDatabase', {
    securityOrigin: location.origin,
    databaseName: name,
  });
}
