// Diagnostics behind the benchmark's misses (bench/diagnose.mjs drives them): how many
// IndexedDB transactions a phase opens, and where cross-tab latency is spent on the sender.
import { Strata, type StorageKind } from 'strata-storage';
import { CONTENDERS, PASSWORD } from './contenders.js';
import { sessionValue } from './value.js';
import { deserialize, serialize } from '../../src/codec/serialize.js';
import { decodeRecordText, encodeRecordText } from '../../src/record.js';
import { Cipher } from '../../src/crypto/cipher.js';
import { base64ToBytes, bytesToBase64 } from '../../src/codec/base64.js';

const clock = (): number => performance.timeOrigin + performance.now();

/** Counts `IDBDatabase.transaction` calls (by mode) during concurrent set, concurrent get and 200 sequential sets. */
async function txCount(
  name: string,
  n: number,
): Promise<Record<string, { ms: number; readwrite: number; readonly: number }>> {
  const counts = { readwrite: 0, readonly: 0 };
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (
    this: IDBDatabase,
    ...args: Parameters<typeof original>
  ) {
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
  await phase('seqGet x200', async () => {
    for (let i = 0; i < Math.min(200, n); i++) await c.get(keys[i]!);
  });
  await phase('keysAndClear', () => c.keysAndClear('sess:'));
  await c.close?.();
  IDBDatabase.prototype.transaction = original;
  return out;
}

/** Sender side of a cross-tab set: ms from `set()` being called to the channel post, per sample. */
async function sendOverhead(
  storage: StorageKind,
  samples: number,
  encrypted: boolean,
): Promise<number[]> {
  const s = new Strata({
    namespace: `diag-${storage}-${Math.random()}`,
    defaultStorage: storage,
    sync: { enabled: true },
    ttl: { cleanupInterval: 0 },
    ...(encrypted ? { encryption: { enabled: true, password: PASSWORD } } : {}),
  });
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

/** Concurrent encrypted gets, µs/op (best of `rounds`): the whole get, then its pieces. */
async function encryptedGetBreakdown(n: number, rounds: number): Promise<Record<string, number>> {
  const keys = Array.from({ length: n }, (_, i) => `sess:${i}`);
  const texts = keys.map((_, i) => serialize(sessionValue(i)));
  // localStorage holds half: strata's records and the floor's must both fit its quota.
  const lsKeys = keys.slice(0, Math.ceil(n / 2));
  const open = async (storage: StorageKind, encrypted: boolean, names = keys): Promise<Strata> => {
    const s = new Strata({
      namespace: `diag-enc-${storage}-${encrypted}-${Math.random()}`,
      defaultStorage: storage,
      ttl: { cleanupInterval: 0 },
      ...(encrypted ? { encryption: { enabled: true, password: PASSWORD } } : {}),
    });
    await Promise.all(names.map((k, i) => s.set(k, sessionValue(i))));
    return s;
  };
  const idbEnc = await open('indexedDB', true);
  const idbPlain = await open('indexedDB', false);
  const lsEnc = await open('localStorage', true, lsKeys);
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const cipher = new Cipher(key, 'diag');
  const sealed = await Promise.all(texts.map((t, i) => cipher.encrypt(t, keys[i]!)));
  const iv = new Uint8Array(12);
  const raw = await Promise.all(
    texts.map((t) =>
      crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(t)),
    ),
  );
  // The floor's own records (IV ‖ ciphertext, base64) for the sequential localStorage get.
  const floorKeys = lsKeys.map((k) => `diag-floor:${k}`);
  raw.slice(0, lsKeys.length).forEach((r, i) => {
    const blob = new Uint8Array(12 + r.byteLength);
    blob.set(new Uint8Array(r), 12);
    localStorage.setItem(floorKeys[i]!, bytesToBase64(blob));
  });
  const decoder = new TextDecoder();
  const onLocalStorage: Record<string, () => Promise<unknown>> = {
    'floor LS get: getItem + base64 + decrypt + parse (sequential)': async () => {
      for (const k of floorKeys) {
        const blob = base64ToBytes(localStorage.getItem(k)!);
        JSON.parse(
          decoder.decode(
            await crypto.subtle.decrypt(
              { name: 'AES-GCM', iv: blob.subarray(0, 12) },
              key,
              blob.subarray(12),
            ),
          ),
        );
      }
    },
    'Cipher.decrypt + deserialize (sequential)': async () => {
      for (let i = 0; i < lsKeys.length; i++)
        deserialize(await cipher.decrypt(sealed[i]!, keys[i]!));
    },
    'strata LS encrypted get (sequential)': async () => {
      for (const k of lsKeys) await lsEnc.get(k);
    },
    'strata LS encrypted get (Promise.all)': () => Promise.all(lsKeys.map((k) => lsEnc.get(k))),
  };
  const steps: Record<string, () => Promise<unknown>> = {
    'strata IDB get (Promise.all)': () => Promise.all(keys.map((k) => idbPlain.get(k))),
    'strata IDB encrypted get (Promise.all)': () => Promise.all(keys.map((k) => idbEnc.get(k))),
    'Cipher.decrypt (Promise.all)': () =>
      Promise.all(sealed.map((b, i) => cipher.decrypt(b, keys[i]!))),
    'base64ToBytes alone': async () => sealed.map((b) => base64ToBytes(b)),
    'subtle.decrypt, no AAD (Promise.all)': () =>
      Promise.all(raw.map((r) => crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, r))),
    'subtle.decrypt + decode + parse (Promise.all)': () =>
      Promise.all(
        raw.map(async (r) =>
          JSON.parse(
            new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, r)),
          ),
        ),
      ),
  };
  const best = {
    ...(await bestOf(onLocalStorage, lsKeys.length, rounds)),
    ...(await bestOf(steps, n, rounds)),
  };
  await Promise.all([idbEnc.close(), idbPlain.close(), lsEnc.close()]);
  for (const k of floorKeys) localStorage.removeItem(k);
  return best;
}

/** When a contender's concurrent gets issue their reads and decrypts, and when those finish (ms from the start). */
async function getTimeline(name: string, n: number): Promise<Record<string, number>> {
  const c = await CONTENDERS[name]!(Math.random().toString(36).slice(2));
  const keys = Array.from({ length: n }, (_, i) => `sess:${i}`);
  await Promise.all(keys.map((k, i) => c.set(k, sessionValue(i))));
  const marks = {
    readIssued: [] as number[],
    readDone: [] as number[],
    decIssued: [] as number[],
    decDone: [] as number[],
  };
  const subtle = crypto.subtle;
  const originalDecrypt = subtle.decrypt.bind(subtle);
  const originalGet = IDBObjectStore.prototype.get;
  const t0 = performance.now();
  const at = (): number => performance.now() - t0;
  subtle.decrypt = ((...args: Parameters<SubtleCrypto['decrypt']>) => {
    marks.decIssued.push(at());
    return originalDecrypt(...args).finally(() => marks.decDone.push(at()));
  }) as SubtleCrypto['decrypt'];
  IDBObjectStore.prototype.get = function (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
    marks.readIssued.push(at());
    const request = originalGet.call(this, query);
    request.addEventListener('success', () => marks.readDone.push(at()));
    return request;
  };
  const start = at();
  await (c.concGetAll ? c.concGetAll(keys) : Promise.all(keys.map((k) => c.get(k))));
  const end = at();
  subtle.decrypt = originalDecrypt;
  IDBObjectStore.prototype.get = originalGet;
  await c.close?.();
  const span = (xs: number[]): string =>
    xs.length
      ? `${xs.length} from ${Math.min(...xs).toFixed(1)} to ${Math.max(...xs).toFixed(1)}`
      : 'none';
  return {
    start,
    end,
    ...Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, span(v)])),
  } as unknown as Record<string, number>;
}

/**
 * Runs each step once per round, in alternating order, after a pause (the browser commits
 * earlier storage writes in the background), with `reset` after each; µs per op, best round.
 */
async function bestOf(
  steps: Record<string, () => Promise<unknown>>,
  n: number,
  rounds: number,
  reset: () => Promise<void> | void = () => {},
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  const names = Object.keys(steps);
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) {
      await new Promise((done) => setTimeout(done, 300));
      const t = performance.now();
      await steps[name]!();
      best[name] = Math.min(best[name] ?? Infinity, ((performance.now() - t) * 1000) / n);
      await reset();
    }
  }
  return best;
}

/**
 * localStorage set and get, raw against strata and strata's pieces alone. Every write
 * stores a new value (`rev` changes each round): Chromium skips a setItem whose value is
 * unchanged, which would time no write at all.
 */
async function lsBreakdown(n: number, rounds: number): Promise<Record<string, number>> {
  localStorage.clear();
  const values = Array.from({ length: n }, (_, i) => sessionValue(i));
  const keys = values.map((_, i) => `sess:${i}`);
  const s = new Strata({
    namespace: 'diag-ls',
    defaultStorage: 'localStorage',
    ttl: { cleanupInterval: 0 },
  });
  await s.ready();
  let rev = 0;
  const value = (i: number): unknown => ({ ...values[i], rev });
  const texts = values.map((v) => serialize(v));
  const encoded = texts.map((p) =>
    encodeRecordText({ v: 1, p, u: Date.now(), w: 'abcdef0123456789' }),
  );
  const steps: Record<string, () => Promise<unknown>> = {
    'raw set: setItem(JSON.stringify)': async () => {
      rev++;
      for (let i = 0; i < n; i++)
        await Promise.resolve(localStorage.setItem(keys[i]!, JSON.stringify(value(i))));
    },
    'strata set': async () => {
      rev++;
      for (let i = 0; i < n; i++) await s.set(keys[i]!, value(i));
    },
    'raw set (Promise.all)': async () => {
      rev++;
      await Promise.all(
        keys.map(async (k, i) => localStorage.setItem(k, JSON.stringify(value(i)))),
      );
    },
    'strata set (Promise.all)': async () => {
      rev++;
      await Promise.all(keys.map((k, i) => s.set(k, value(i))));
    },
    'raw get: JSON.parse(getItem)': async () => {
      for (let i = 0; i < n; i++)
        await Promise.resolve(JSON.parse(localStorage.getItem(keys[i]!)!));
    },
    'strata get': async () => {
      for (let i = 0; i < n; i++) await s.get(keys[i]!);
    },
    'piece: serialize()': async () => {
      for (let i = 0; i < n; i++) serialize(values[i]);
    },
    'piece: JSON.stringify': async () => {
      for (let i = 0; i < n; i++) JSON.stringify(values[i]);
    },
    'piece: decodeRecordText()': async () => {
      for (let i = 0; i < n; i++) decodeRecordText(encoded[i]!);
    },
    'piece: deserialize()': async () => {
      for (let i = 0; i < n; i++) deserialize(texts[i]!);
    },
  };
  const best = await bestOf(steps, n, rounds);
  await s.close();
  return best;
}

/** Sequential encrypted localStorage sets: strata against the floor and the same steps by hand, µs/op. */
async function encryptedSetBreakdown(n: number, rounds: number): Promise<Record<string, number>> {
  localStorage.clear();
  const values = Array.from({ length: n }, (_, i) => sessionValue(i));
  const keys = values.map((_, i) => `sess:${i}`);
  const s = new Strata({
    namespace: 'diag-encset',
    defaultStorage: 'localStorage',
    ttl: { cleanupInterval: 0 },
    encryption: { enabled: true, password: PASSWORD },
  });
  await s.ready();
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const cipher = new Cipher(key, 'diag');
  const enc = new TextEncoder();
  const seal = async (text: string, aad?: Uint8Array<ArrayBuffer>): Promise<string> => {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(
      await crypto.subtle.encrypt(
        aad ? { name: 'AES-GCM', iv, additionalData: aad } : { name: 'AES-GCM', iv },
        key,
        enc.encode(text),
      ),
    );
    const out = new Uint8Array(12 + ct.length);
    out.set(iv);
    out.set(ct, 12);
    return bytesToBase64(out);
  };
  let rev = 0;
  const value = (i: number): unknown => ({ ...values[i], rev });
  const steps: Record<string, () => Promise<unknown>> = {
    'floor: stringify + seal + setItem': async () => {
      rev++;
      for (let i = 0; i < n; i++)
        localStorage.setItem(keys[i]!, await seal(JSON.stringify(value(i))));
    },
    'floor without setItem': async () => {
      rev++;
      for (let i = 0; i < n; i++) await seal(JSON.stringify(value(i)));
    },
    'floor without setItem, with AAD': async () => {
      rev++;
      for (let i = 0; i < n; i++)
        await seal(JSON.stringify(value(i)), enc.encode(`strata/1\u0000diag\u0000${keys[i]}`));
    },
    'by hand: serialize + Cipher.encrypt + record header + setItem': async () => {
      rev++;
      for (let i = 0; i < n; i++) {
        const p = await cipher.encrypt(serialize(value(i)), keys[i]!);
        localStorage.setItem(
          `diag-encset:${keys[i]}`,
          encodeRecordText({ v: 1, p, x: 1, u: Date.now(), w: 'abcdef0123456789' }),
        );
      }
    },
    'strata set': async () => {
      rev++;
      for (let i = 0; i < n; i++) await s.set(keys[i]!, value(i));
    },
    'floor (Promise.all)': async () => {
      rev++;
      await Promise.all(
        keys.map(async (k, i) => localStorage.setItem(k, await seal(JSON.stringify(value(i))))),
      );
    },
    'strata set (Promise.all)': async () => {
      rev++;
      await Promise.all(keys.map((k, i) => s.set(k, value(i))));
    },
  };
  // Two sets of 2,000 encrypted values at once would not fit localStorage's quota.
  const best = await bestOf(steps, n, rounds, async () => {
    for (const k of keys) localStorage.removeItem(k);
    for (const k of keys) localStorage.removeItem(`diag-encset:${k}`);
    await s.clear();
  });
  await s.close();
  return best;
}

const diag = {
  txCount,
  sendOverhead,
  lsBreakdown,
  encryptedGetBreakdown,
  encryptedSetBreakdown,
  getTimeline,
};
declare global {
  interface Window {
    diag: typeof diag;
  }
}
window.diag = diag;
