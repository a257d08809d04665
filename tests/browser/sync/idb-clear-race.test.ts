import { describe, expect, it, vi } from 'vitest';
import type { StorageChange, Strata } from 'strata-storage';
import { newRecord } from '../../../src/record.js';
import { SYNC_VERSION, type SyncMessage } from '../../../src/sync/messages.js';
import { handTimers, makeStrata, type HandTimers } from '../helpers.js';

// One instance over the real IndexedDB, and "another tab" played by the test: it changes the
// database directly and posts its messages on the instance's channel, in the order a race
// between two tabs produced them (found by tracing the four-tab IndexedDB soak).

/** An instance with hand-driven timers, and every change its subscribers were told. */
async function open(): Promise<{
  strata: Strata;
  namespace: string;
  timers: HandTimers;
  heard: StorageChange[];
}> {
  const timers = handTimers();
  const { strata, namespace } = makeStrata({
    defaultStorage: 'indexedDB',
    sync: { enabled: true },
    timers,
    clock: timers.now,
  });
  await strata.ready();
  const heard: StorageChange[] = [];
  strata.subscribe('', (change) => heard.push(change));
  return { strata, namespace, timers, heard };
}

/** The other tab's connection to the instance's database. */
function database(namespace: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(`strata:${encodeURIComponent(namespace)}`);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Runs `work` on the records store in one readwrite transaction, resolving once it commits. */
async function inRecords(namespace: string, work: (store: IDBObjectStore) => void): Promise<void> {
  const db = await database(namespace);
  const tx = db.transaction('records', 'readwrite');
  work(tx.objectStore('records'));
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
  db.close();
}

/** Posts a message as the other tab (`from: 'other'`) on the instance's channel. */
function post(namespace: string, msg: SyncMessage): void {
  const channel = new BroadcastChannel(`strata:${namespace}`);
  channel.postMessage({ strata: SYNC_VERSION, ns: namespace, from: 'other', msg });
  channel.close();
}

/** What the other tab's range delete of `prefix` takes: every key from it up to its successor. */
const under = (prefix: string) => IDBKeyRange.bound(prefix, `${prefix}\uffff`);

/** Moves the instance's clock a second at a time until `check` passes. */
const settles = (timers: HandTimers, check: () => void) =>
  vi.waitFor(() => {
    timers.advance(1_000);
    check();
  });

describe('IndexedDB: every tab is last told what the store holds after a concurrent clear', () => {
  it('a write the other tab’s clear took without naming it (its listing came before the write, its range delete after) is told as removed', async () => {
    const { strata, namespace, timers, heard } = await open();
    // The other tab has listed "p:" (nothing there yet) and is about to delete the range.
    await strata.set('p:k', 'mine');
    expect(heard.at(-1)).toMatchObject({ key: 'p:k', newValue: 'mine', source: 'local' });
    await inRecords(namespace, (store) => store.delete(under('p:')));
    post(namespace, { kind: 'clear', keys: [], u: timers.now(), w: 'other', prefix: 'p:' });
    // Every tab reads the key as gone once the clear is heard...
    await vi.waitFor(async () => expect(await strata.get('p:k')).toBeNull());
    // ...and, once writes have settled, this tab's subscribers are told so too.
    await settles(timers, () =>
      expect(heard.at(-1)).toEqual({
        key: 'p:k',
        oldValue: 'mine',
        newValue: null,
        source: 'remote',
      }),
    );
    await strata.close();
  });

  it('a remote write heard just before a settle check, then taken by a clear heard just after it, is told as removed', async () => {
    const { strata, namespace, timers, heard } = await open();
    /** The other tab's write: in the database first, then on the channel, heard here. */
    const write = async (key: string, value: string) => {
      const now = timers.now();
      const record = newRecord(
        JSON.stringify(value),
        { u: now, w: 'other' },
        now,
        undefined,
        false,
      );
      await inRecords(namespace, (store) => store.put(record, key));
      post(namespace, { kind: 'set', key, layer: 'indexedDB', record });
      await vi.waitFor(() => expect(heard.at(-1)).toMatchObject({ key, newValue: value }));
    };
    await write('p:k', 'first'); // a settle check of p:k is due a second from now
    timers.advance(900);
    await write('p:k', 'second'); // heard 100 ms before that check
    timers.advance(100); // the check is due while the store still holds "second"
    await write('q', 'x'); // queued behind the check: once heard, the check has read the store
    // Only then does the other tab's clear take p:k (its listing came before "second" landed).
    await inRecords(namespace, (store) => store.delete(under('p:')));
    post(namespace, { kind: 'clear', keys: [], u: timers.now(), w: 'other', prefix: 'p:' });
    await vi.waitFor(async () => expect(await strata.get('p:k')).toBeNull());
    await settles(timers, () =>
      expect(heard.filter((change) => change.key === 'p:k').at(-1)).toEqual({
        key: 'p:k',
        oldValue: 'second',
        newValue: null,
        source: 'remote',
      }),
    );
    await strata.close();
  });
});
