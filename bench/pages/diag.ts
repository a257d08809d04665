// Diagnostics behind the benchmark's misses (bench/diagnose.mjs drives them): how many
// IndexedDB transactions a phase opens, and where cross-tab latency is spent on the sender.
import { Strata, type StorageKind } from 'strata-storage';
import { CONTENDERS, PASSWORD } from './contenders.js';
import { sessionValue } from './value.js';
import { deserialize, serialize } from '../../src/codec/serialize.js';
import { decodeRecordText, encodeRecordText, type StoredRecord } from '../../src/record.js';

const clock = (): number => performance.timeOrigin + performance.now();

/** Counts `IDBDatabase.transaction` calls (by mode) during concurrent set, concurrent get and 200 sequential sets. */
async function txCount(name: string, n: number): Promise<Record<string, { ms: number; readwrite: number; readonly: number }>> {
  const counts = { readwrite: 0, readonly: 0 };
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<typeof original>) {
    counts[(args[1] ?? 'readonly') as 'readwrite' | 'readonly']++;
    return original.apply(this, args);
  } as typeof original;
  const c = await CONTENDERS[name]!(Math.random().toString(36).slice(2));
  const keys = Array.from({ length: n }, (_, i) => `sess:${i}`);
  const out: Record<string, { ms: number; readwrite: number; readonly: number }> = {};
  const phase = async (label: string, work: () => Promise<unknown>): Promise<void> => {
    counts.readwrite = counts.readonly = 0;
    const t = performance.now();
    await work();
    out[label] = { ms: performance.now() - t, ...counts };
  };
  await phase('concSet', () => Promise.all(keys.map((k, i) => c.set(k, sessionValue(i)))));
  await phase('concGet', () => Promise.all(keys.map((k) => c.get(k))));
  await phase('seqSet x200', async () => {
    for (let i = 0; i < Math.min(200, n); i++) await c.set(keys[i]!, sessionValue(i));
  });
  await phase('keysAndClear', () => c.keysAndClear('sess:'));
  await c.close?.();
  IDBDatabase.prototype.transaction = original;
  return out;
}

/** Sender side of a cross-tab set: ms from `set()` being called to the channel post, per sample. */
async function sendOverhead(storage: StorageKind, samples: number, encrypted: boolean): Promise<number[]> {
  const s = new Strata({ namespace: `diag-${storage}-${Math.random()}`, defaultStorage: storage, sync: { enabled: true }, ttl: { cleanupInterval: 0 }, ...(encrypted ? { encryption: { enabled: true, password: PASSWORD } } : {}) });
  await s.ready();
  let t0 = 0;
  const out: number[] = [];
  const original = BroadcastChannel.prototype.postMessage;
  BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, message: unknown) {
    out.push(clock() - t0);
    return original.call(this, message);
  };
  for (let i = 0; i < samples; i++) {
    t0 = clock();
    await s.set(`ping:${i % 4}`, { t: t0, i });
    await new Promise((r) => setTimeout(r, 2));
  }
  BroadcastChannel.prototype.postMessage = original;
  await s.close();
  return out;
}

/**
 * Per-op cost (µs, best of `rounds`) of the pieces of a localStorage set/get: raw calls,
 * strata's codec steps alone, and strata's full set/get, on `n` distinct ≈1 KB values.
 */
async function lsBreakdown(n: number, rounds: number): Promise<Record<string, number>> {
  localStorage.clear();
  const values = Array.from({ length: n }, (_, i) => sessionValue(i));
  const keys = values.map((_, i) => `sess:${i}`);
  const s = new Strata({ namespace: 'diag-ls', defaultStorage: 'localStorage', ttl: { cleanupInterval: 0 } });
  await s.ready();
  const texts = values.map((v) => serialize(v));
  const record = (i: number): StoredRecord => ({ v: 1, p: texts[i]!, u: Date.now(), w: 'abcdef0123456789' });
  const encoded = values.map((_, i) => encodeRecordText(record(i)));
  const steps: Record<string, () => Promise<void> | void> = {
    'raw setItem(JSON.stringify)': () => { for (let i = 0; i < n; i++) localStorage.setItem(keys[i]!, JSON.stringify(values[i])); },
    'JSON.stringify alone': () => { for (let i = 0; i < n; i++) JSON.stringify(values[i]); },
    'strata serialize() alone': () => { for (let i = 0; i < n; i++) serialize(values[i]); },
    'encodeRecordText alone': () => { for (let i = 0; i < n; i++) encodeRecordText(record(i)); },
    'strata set (awaited, sequential)': async () => { for (let i = 0; i < n; i++) await s.set(keys[i]!, values[i]); },
    'raw JSON.parse(getItem)': () => { for (let i = 0; i < n; i++) JSON.parse(localStorage.getItem(keys[i]!)!); },
    'getItem alone (strata key)': () => { for (let i = 0; i < n; i++) localStorage.getItem(`diag-ls:${keys[i]}`); },
    'decodeRecordText alone': () => { for (let i = 0; i < n; i++) decodeRecordText(encoded[i]!); },
    'deserialize alone': () => { for (let i = 0; i < n; i++) deserialize(texts[i]!); },
    'strata get (awaited, sequential)': async () => { for (let i = 0; i < n; i++) await s.get(keys[i]!); },
    'empty async fn awaited (x4 per op)': async () => { const f = async (): Promise<void> => {}; for (let i = 0; i < n; i++) { await f(); await f(); await f(); await f(); } },
  };
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, step] of Object.entries(steps)) {
      const t = performance.now();
      await step();
      const us = ((performance.now() - t) * 1000) / n;
      best[name] = Math.min(best[name] ?? Infinity, us);
    }
  }
  await s.close();
  return best;
}

const diag = { txCount, sendOverhead, lsBreakdown };
declare global {
  interface Window {
    diag: typeof diag;
  }
}
window.diag = diag;
