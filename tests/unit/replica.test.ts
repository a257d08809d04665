import { describe, expect, it } from 'vitest';
import type { StorageAdapter } from '../../src/adapters/adapter.js';
import { memoryAdapter } from '../../src/adapters/memory.js';
import { LayerChain } from '../../src/layer-chain.js';
import { Reader } from '../../src/reader.js';
import { newRecord, type StoredRecord } from '../../src/record.js';
import { createStoreContext, type StoreContext } from '../../src/store-context.js';
import type { SyncMessage } from '../../src/sync/messages.js';
import { Replica } from '../../src/sync/replica.js';
import { platformTimers } from '../../src/timers.js';
import type { StorageChange } from '../../src/types.js';
import type { WriteStamp } from '../../src/write-clock.js';

const NOW = 1_700_000_000_000;
let namespaces = 0;

/** A replica over one memory layer (a per-tab layer: remote changes are written into it). */
async function replicaOverMemory(): Promise<{
  ctx: StoreContext;
  layer: StorageAdapter;
  replica: Replica;
  heard: StorageChange[];
  errors: string[];
}> {
  const errors: string[] = [];
  const namespace = `replica-${++namespaces}`;
  const chain = new LayerChain(async () => memoryAdapter(namespace), {
    report: (error) => errors.push(error.code),
    fallback: () => errors.push('fallback'),
  });
  await chain.open(['memory']);
  const ctx = createStoreContext({
    chain,
    key: () => Promise.reject(new Error('no key in these tests')),
    heldKey: () => Promise.resolve(undefined),
    report: (error) => errors.push(error.code),
    timers: { ...platformTimers, now: () => NOW },
    post: () => undefined,
    sealedOnly: false,
    sealedSync: false,
    mayHoldSealed: () => Promise.resolve(false),
  });
  const heard: StorageChange[] = [];
  ctx.subscribers.add('', (change) => heard.push(change));
  const layer = chain.adapters[0] as StorageAdapter;
  return { ctx, layer, replica: new Replica(ctx, new Reader(ctx)), heard, errors };
}

function record(value: unknown, stamp: WriteStamp): StoredRecord {
  return newRecord(JSON.stringify(value), stamp, NOW, undefined, false);
}

function set(key: string, value: unknown, stamp: WriteStamp): SyncMessage {
  return { kind: 'set', key, layer: 'memory', record: record(value, stamp) };
}

describe('Replica: applying other tabs’ changes to per-tab layers', () => {
  it('a newer remote write lands in the per-tab layer and is heard as remote', async () => {
    const { layer, replica, heard } = await replicaOverMemory();
    await layer.write('k', record('mine', { u: NOW - 10, w: 'a' }));
    await replica.apply(set('k', 'theirs', { u: NOW, w: 'b' }));
    expect((await layer.read('k'))?.p).toBe('"theirs"');
    expect(heard).toEqual([{ key: 'k', oldValue: null, newValue: 'theirs', source: 'remote' }]);
  });

  it('an older remote write loses to the local copy: nothing is written or heard', async () => {
    const { layer, replica, heard } = await replicaOverMemory();
    await layer.write('k', record('mine', { u: NOW, w: 'a' }));
    await replica.apply(set('k', 'theirs', { u: NOW - 1, w: 'b' }));
    expect((await layer.read('k'))?.p).toBe('"mine"');
    expect(heard).toEqual([]);
  });

  it('equal times break on the writer id, the same way in every tab', async () => {
    const { layer, replica } = await replicaOverMemory();
    await layer.write('k', record('from-b', { u: NOW, w: 'b' }));
    await replica.apply(set('k', 'from-a', { u: NOW, w: 'a' }));
    expect((await layer.read('k'))?.p).toBe('"from-b"');
    await replica.apply(set('k', 'from-c', { u: NOW, w: 'c' }));
    expect((await layer.read('k'))?.p).toBe('"from-c"');
  });

  it('a remote write older than a removal heard before it is not resurrected', async () => {
    const { layer, replica, heard } = await replicaOverMemory();
    await replica.apply({ kind: 'remove', keys: ['k'], u: NOW, w: 'b', expired: false });
    await replica.apply(set('k', 'late', { u: NOW - 5, w: 'c' }));
    expect(await layer.read('k')).toBeUndefined();
    // The removal is announced (a shared layer lost the key with the sender's write); the late write is not.
    expect(heard.map((change) => change.newValue)).toEqual([null]);
  });

  it('a remote removal older than the local copy keeps it and is not announced', async () => {
    const { layer, replica, heard } = await replicaOverMemory();
    await layer.write('k', record('mine', { u: NOW, w: 'a' }));
    await replica.apply({ kind: 'remove', keys: ['k'], u: NOW - 1, w: 'b', expired: false });
    expect((await layer.read('k'))?.p).toBe('"mine"');
    expect(heard).toEqual([]);
  });

  it('a remote clear by prefix removes older copies under it and leaves the rest', async () => {
    const { layer, replica, heard } = await replicaOverMemory();
    await layer.write('cart:1', record(1, { u: NOW - 3, w: 'a' }));
    await layer.write('cart:2', record(2, { u: NOW + 3, w: 'a' }));
    await layer.write('prefs', record('dark', { u: NOW - 3, w: 'a' }));
    await replica.apply({ kind: 'clear', keys: [], u: NOW, w: 'b', prefix: 'cart:' });
    expect(await layer.allKeys()).toEqual(['cart:2', 'prefs']);
    expect(heard.map((change) => [change.key, change.newValue])).toEqual([['cart:1', null]]);
    // A write from a third tab, older than the clear but arriving after it, stays gone.
    await replica.apply(set('cart:3', 3, { u: NOW - 1, w: 'c' }));
    expect(await layer.read('cart:3')).toBeUndefined();
  });

  it('a remote clear by tag removes only tagged copies older than it', async () => {
    const { layer, replica } = await replicaOverMemory();
    await layer.write('a', { ...record(1, { u: NOW - 1, w: 'a' }), g: ['auth'] });
    await layer.write('b', record(2, { u: NOW - 1, w: 'a' }));
    await replica.apply({ kind: 'clear', keys: [], u: NOW, w: 'b', tags: ['auth'] });
    expect(await layer.allKeys()).toEqual(['b']);
  });

  it('a remote stamp moves this instance’s write clock past it', async () => {
    const { ctx, replica } = await replicaOverMemory();
    await replica.apply(set('k', 'v', { u: NOW + 60_000, w: 'b' }));
    expect(ctx.clock.stamp(NOW).u).toBe(NOW + 60_001);
  });

  it('an expired remote write is stored but heard as null', async () => {
    const { layer, replica, heard } = await replicaOverMemory();
    const expired = newRecord('"old"', { u: NOW, w: 'b' }, NOW - 2_000, 1_000, false);
    await replica.apply({ kind: 'set', key: 'k', layer: 'memory', record: expired });
    expect(await layer.read('k')).toBeDefined();
    expect(heard.map((change) => change.newValue)).toEqual([null]);
  });
});
