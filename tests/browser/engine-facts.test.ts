// What each engine does with the platform features the SDK leans on, asserted per engine
// (and per private mode) so the README's "Browser support" table is what these tests prove.
// Runs in every browser project: chromium, firefox, webkit, firefox-private, webkit-ephemeral.
import { describe, expect, inject, it } from 'vitest';
import { Strata } from 'strata-storage';
import { uniqueNamespace } from './helpers.js';

const engine = inject('engine');
const privateMode = inject('privateMode');
const mode = `${engine}${privateMode ? ' (private)' : ''}`;

interface Facts {
  /**
   * `navigator.storage.persist()` resolves to this (`'no answer'`: still pending after 2 s, a
   * permission prompt nobody answers; `'no API'`: no `navigator.storage`).
   */
  persist: boolean | 'no answer' | 'no API';
}

/** What each engine answered in this repository's runs (README "Browser support"). */
const expected: Record<string, Facts> = {
  chromium: { persist: false },
  firefox: { persist: 'no answer' },
  webkit: { persist: 'no API' },
  'firefox (private)': { persist: false },
  'webkit (private)': { persist: 'no API' },
};

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise,
    new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), ms)),
  ]);

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

describe(`engine facts: ${mode}`, () => {
  it('BroadcastChannel delivers a message to another channel of the same name', async () => {
    const name = uniqueNamespace('bc');
    const a = new BroadcastChannel(name);
    const b = new BroadcastChannel(name);
    const got = new Promise((resolve) => (b.onmessage = (event) => resolve(event.data)));
    a.postMessage({ hello: 1 });
    expect(await got).toEqual({ hello: 1 });
    a.close();
    b.close();
  });

  it('Web Locks grant an exclusive lock and queue a second request until it is released', async () => {
    expect(navigator.locks).toBeDefined();
    const name = uniqueNamespace('lock');
    const order: string[] = [];
    let release!: () => void;
    let granted!: () => void;
    const held = new Promise<void>((resolve) => (granted = resolve));
    const first = navigator.locks.request(name, async () => {
      order.push('first');
      granted();
      await new Promise<void>((resolve) => (release = resolve));
    });
    // Granting goes through another process in WebKit: wait for it rather than a fixed time.
    await held;
    const second = navigator.locks.request(name, async () => void order.push('second'));
    // Queued, not granted: the lock manager lists it as pending while the first is held.
    await expect
      .poll(async () => (await navigator.locks.query()).pending?.map((lock) => lock.name))
      .toContain(name);
    expect((await navigator.locks.query()).held?.map((lock) => lock.name)).toContain(name);
    expect(order).toEqual(['first']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('IndexedDB opens, commits and reads back (a CryptoKey too)', async () => {
    const name = uniqueNamespace('idb');
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('s');
    const db = await request(open);
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
      'encrypt',
    ]);
    const tx = db.transaction('s', 'readwrite');
    tx.objectStore('s').put({ v: 1, key }, 'k');
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    const back = (await request(db.transaction('s').objectStore('s').get('k'))) as {
      v: number;
      key: CryptoKey;
    };
    expect(back.v).toBe(1);
    expect(back.key.extractable).toBe(false);
    db.close();
    await request(indexedDB.deleteDatabase(name));
  });

  it(`navigator.storage.persist() answers ${JSON.stringify(expected[mode]?.persist)}`, async () => {
    const answer =
      typeof navigator.storage?.persist === 'function'
        ? await within(navigator.storage.persist(), 2000)
        : 'no API';
    expect(answer).toBe(expected[mode]?.persist);
  });

  it('the SDK picks IndexedDB for `secure` and an encrypted value reads back', async () => {
    const strata = new Strata({
      namespace: uniqueNamespace('facts'),
      defaultStorage: 'indexedDB',
      encryption: { enabled: true },
    });
    await strata.set('k', { v: 1 });
    expect(strata.storage).toBe('indexedDB');
    expect(await strata.get('k')).toEqual({ v: 1 });
    await strata.close();
  });

  it("storage wiped as Safari's 7-day cap wipes it: device-key data reads as absent, without an error", async () => {
    const namespace = uniqueNamespace('itp');
    const codes: string[] = [];
    const before = new Strata({ namespace, encryption: { enabled: true } });
    await before.set('profile', { name: 'Ada' });
    await before.close();
    // The cap deletes all script-writable storage of the site at once: Web Storage and the
    // IndexedDB databases, the keyring with the device keys among them (this namespace's
    // share of it here, as other suites share the origin).
    for (const area of [localStorage, sessionStorage])
      for (const key of Object.keys(area))
        if (key.startsWith(encodeURIComponent(namespace))) area.removeItem(key);
    for (const db of await indexedDB.databases())
      if (db.name?.includes(encodeURIComponent(namespace)) || db.name === 'strata-keyring')
        await request(indexedDB.deleteDatabase(db.name));
    const after = new Strata({
      namespace,
      encryption: { enabled: true },
      onError: (e) => codes.push(e.code),
    });
    expect(await after.get('profile')).toBeNull();
    await after.set('profile', { name: 'Ada again' });
    expect(await after.get('profile')).toEqual({ name: 'Ada again' });
    expect(codes).toEqual([]);
    await after.close();
  });
});
