// Page side of the benchmark: bench/run.mjs drives these through page.evaluate.
import { get as ikvGet, set as ikvSet, createStore } from 'idb-keyval';
import localforage from 'localforage';
import { Strata, type StorageKind } from 'strata-storage';
import {
  CONTENDERS,
  PASSWORD,
  done,
  openRaw,
  req,
  type Contender,
  type Entry,
} from './contenders.js';
import { dpopCost } from './dpop.js';
import { sessionValue } from './value.js';

const PREFIX = 'sess:';
/** Warm-up keys: no measured key has this prefix, and no measured prefix matches it. */
const WARMUP_PREFIX = 'warm:';
const now = (): number => performance.now();

/** What one contender did in one round: total ms per phase, and how many keys it used. */
export interface WorkloadResult {
  n: number;
  ms: { seqSet: number; seqGet: number; concSet: number; concGet: number; keysClear: number };
  checked: boolean;
}

/** Deletes every database and clears both Web Storages: each run starts empty. */
async function wipe(): Promise<void> {
  localStorage.clear();
  sessionStorage.clear();
  const dbs = await indexedDB.databases();
  await Promise.all(
    dbs.map((d) =>
      Promise.race([
        new Promise((r) => {
          const q = indexedDB.deleteDatabase(d.name!);
          q.onsuccess = q.onerror = q.onblocked = r;
        }),
        sleep(1000),
      ]),
    ),
  );
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Pause after a wipe: the browser commits the previous run's storage writes in the background. */
const SETTLE_MS = 500;
const uid = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/**
 * Runs the five phases on N keys. `budgetMs` caps the sequential set of slow contenders:
 * the phases then use the keys written in the budget (reported as `n`). `warmup` keys go
 * through the same five phases first, unmeasured, under another prefix, so every
 * contender is timed with its code compiled (steady state; cold start is measured apart).
 */
async function workload(
  name: string,
  n: number,
  budgetMs: number,
  warmup = 0,
): Promise<WorkloadResult> {
  await wipe();
  await sleep(SETTLE_MS);
  const factory = CONTENDERS[name];
  if (!factory) throw new Error(`unknown contender ${name}`);
  const c: Contender = await factory(uid());
  if (warmup > 0) await phases(c, WARMUP_PREFIX, warmup, budgetMs);
  const result = await phases(c, PREFIX, n, budgetMs);
  await c.close?.();
  return result;
}

async function phases(
  c: Contender,
  prefix: string,
  n: number,
  budgetMs: number,
): Promise<WorkloadResult> {
  const values = Array.from({ length: n }, (_, i) => sessionValue(i));
  let entries: Entry[] = values.map((v, i) => [`${prefix}${i}`, v]);

  let t = now();
  if (c.seqSetAll) await c.seqSetAll(entries);
  else {
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i]!;
      await c.set(k, v);
      if (now() - t > budgetMs && i >= 9) {
        entries = entries.slice(0, i + 1);
        break;
      }
    }
  }
  const seqSet = now() - t;
  const keys = entries.map(([k]) => k);

  t = now();
  let checked = true;
  if (c.seqGetAll) await c.seqGetAll(keys);
  else {
    for (let i = 0; i < keys.length; i++) {
      const v = (await c.get(keys[i]!)) as { id?: string } | null;
      if (i === keys.length - 1 && v?.id !== (values[i] as { id: string }).id) checked = false;
    }
  }
  const seqGet = now() - t;

  // A second version of every value: Chromium skips a localStorage setItem whose value is
  // unchanged, so rewriting the same values would time no write at all for raw localStorage
  // and localForage (strata's record carries a write stamp, so it would really write).
  const updated: Entry[] = entries.map(([k, v]) => [k, { ...(v as object), rev: 2 }]);
  t = now();
  if (c.concSetAll) await c.concSetAll(updated);
  else await Promise.all(updated.map(([k, v]) => c.set(k, v)));
  const concSet = now() - t;

  t = now();
  if (c.concGetAll) await c.concGetAll(keys);
  else await Promise.all(keys.map((k) => c.get(k)));
  const concGet = now() - t;

  t = now();
  const listed = await c.keysAndClear(prefix);
  const keysClear = now() - t;
  if (listed !== keys.length) checked = false;
  return { n: keys.length, ms: { seqSet, seqGet, concSet, concGet, keysClear }, checked };
}

// ── cold start: new instance → first get, on a store that already holds `n` keys ────

const COLD: Record<
  string,
  { seed(db: string, n: number): Promise<void>; first(db: string): Promise<unknown> }
> = {
  'raw IDB (open+get)': {
    async seed(db, n) {
      const d = await openRaw(db);
      const tx = d.transaction('kv', 'readwrite');
      for (let i = 0; i < n; i++) tx.objectStore('kv').put(sessionValue(i), `${PREFIX}${i}`);
      await done(tx);
      d.close();
    },
    async first(db) {
      const d = await openRaw(db);
      const v = await req(d.transaction('kv', 'readonly').objectStore('kv').get(`${PREFIX}0`));
      d.close();
      return v;
    },
  },
  'idb-keyval': {
    async seed(db, n) {
      const s = createStore(db, 'kv');
      for (let i = 0; i < n; i += 200)
        await Promise.all(
          Array.from({ length: Math.min(200, n - i) }, (_, j) =>
            ikvSet(`${PREFIX}${i + j}`, sessionValue(i + j), s),
          ),
        );
    },
    first: (db) => ikvGet(`${PREFIX}0`, createStore(db, 'kv')),
  },
  'localforage (IDB)': {
    async seed(db, n) {
      const s = localforage.createInstance({
        name: db,
        storeName: 'kv',
        driver: localforage.INDEXEDDB,
      });
      for (let i = 0; i < n; i++) await s.setItem(`${PREFIX}${i}`, sessionValue(i));
    },
    first: (db) =>
      localforage
        .createInstance({ name: db, storeName: 'kv', driver: localforage.INDEXEDDB })
        .getItem(`${PREFIX}0`),
  },
  'strata LS': strataCold('localStorage', false),
  'strata IDB': strataCold('indexedDB', false),
  'strata LS encrypted': strataCold('localStorage', true),
  'strata IDB encrypted': strataCold('indexedDB', true),
};

function strataCold(storage: StorageKind, encrypted: boolean): (typeof COLD)[string] {
  const make = (ns: string): Strata =>
    new Strata({
      namespace: ns,
      defaultStorage: storage,
      ttl: { cleanupInterval: 0 },
      ...(encrypted ? { encryption: { enabled: true, password: PASSWORD } } : {}),
    });
  return {
    async seed(ns, n) {
      const s = make(ns);
      await Promise.all(
        Array.from({ length: n }, (_, i) => s.set(`${PREFIX}${i}`, sessionValue(i))),
      );
      await s.close();
    },
    async first(ns) {
      const s = make(ns);
      const v = await s.get(`${PREFIX}0`);
      await s.close();
      return v;
    },
  };
}

/** Median-of-samples cold start (ms) of one contender over a store holding `n` keys. */
async function coldStart(name: string, n: number, samples: number): Promise<number[]> {
  await wipe();
  const c = COLD[name]!;
  const db = `cold-${uid()}`;
  await c.seed(db, n);
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = now();
    const v = (await c.first(db)) as { id?: string } | null;
    out.push(now() - t);
    if (!v?.id) throw new Error(`${name}: cold get returned nothing`);
  }
  return out;
}

// ── ready() with a password ─────────────────────────────────────────────────────────────

/** ms of: raw PBKDF2-600k deriveKey, strata ready() on a new namespace, ready() again (existing salt). */
async function readyCost(): Promise<{ rawPbkdf2: number; firstReady: number; laterReady: number }> {
  await wipe();
  let t = now();
  const material = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(PASSWORD),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  await crypto.subtle.deriveKey(
    {
      name: 'PBKDF2',
      hash: 'SHA-256',
      salt: crypto.getRandomValues(new Uint8Array(16)),
      iterations: 600_000,
    },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  const rawPbkdf2 = now() - t;
  const ns = `ready-${uid()}`;
  const make = (): Strata =>
    new Strata({
      namespace: ns,
      defaultStorage: 'indexedDB',
      ttl: { cleanupInterval: 0 },
      encryption: { enabled: true, password: PASSWORD },
    });
  t = now();
  const a = make();
  await a.ready();
  const firstReady = now() - t;
  await a.close();
  t = now();
  const b = make();
  await b.ready();
  const laterReady = now() - t;
  await b.close();
  return { rawPbkdf2, firstReady, laterReady };
}

// ── hot key: the same key read `reps` times ─────────────────────────────────────────────

async function hotKey(name: string, reps: number): Promise<number> {
  await wipe();
  const key = `${PREFIX}hot`;
  const value = sessionValue(7);
  let read: () => Promise<unknown>;
  let close = async (): Promise<void> => {};
  if (name === 'raw IDB get (tx/op)') {
    const db = await openRaw(`hot-${uid()}`);
    const tx = db.transaction('kv', 'readwrite');
    tx.objectStore('kv').put(value, key);
    await done(tx);
    read = () => req(db.transaction('kv', 'readonly').objectStore('kv').get(key));
    close = async () => db.close();
  } else if (name === 'idb-keyval') {
    const s = createStore(`hot-${uid()}`, 'kv');
    await ikvSet(key, value, s);
    read = () => ikvGet(key, s);
  } else {
    const sync = name.includes('sync');
    const s = new Strata({
      namespace: `hot-${uid()}`,
      defaultStorage: 'indexedDB',
      ttl: { cleanupInterval: 0 },
      ...(name.includes('encrypted') ? { encryption: { enabled: true, password: PASSWORD } } : {}),
      ...(sync ? { sync: { enabled: true } } : {}),
    });
    await s.set(key, value);
    read = () => s.get(key);
    close = () => s.close();
  }
  await read();
  const t = now();
  for (let i = 0; i < reps; i++) await read();
  const ms = now() - t;
  await close();
  return ms;
}

// ── cross-tab delivery ──────────────────────────────────────────────────────────────────

const clock = (): number => performance.timeOrigin + performance.now();
interface Xtab {
  strata?: Strata;
  native?: BroadcastChannel;
  got: { native: number[]; strata: number[] };
}
const xtab: Xtab = { got: { native: [], strata: [] } };

/** Opens a strata instance with sync on `ns` and a native channel; receivers record latency. */
async function xtabOpen(ns: string, storage: StorageKind, receiver: boolean): Promise<void> {
  xtab.got = { native: [], strata: [] };
  xtab.strata = new Strata({
    namespace: ns,
    defaultStorage: storage,
    sync: { enabled: true },
    ttl: { cleanupInterval: 0 },
  });
  await xtab.strata.ready();
  xtab.native = new BroadcastChannel(`native-${ns}`);
  if (receiver) {
    xtab.strata.subscribe<{ t: number }>('ping:*', (change) => {
      if (change.source === 'remote' && change.newValue)
        xtab.got.strata.push(clock() - change.newValue.t);
    });
    xtab.native.onmessage = (e: MessageEvent<{ t: number }>) =>
      xtab.got.native.push(clock() - e.data.t);
  }
}

/** Sender: `samples` rounds, each one native post and one strata set, alternating which goes first. */
async function xtabSend(samples: number, gapMs: number): Promise<void> {
  for (let i = 0; i < samples; i++) {
    const native = (): void => xtab.native!.postMessage({ t: clock() });
    const strata = (): Promise<void> => xtab.strata!.set(`ping:${i % 4}`, { t: clock(), i });
    if (i % 2) {
      native();
      await sleep(gapMs);
      await strata();
    } else {
      await strata();
      await sleep(gapMs);
      native();
    }
    await sleep(gapMs);
  }
  await sleep(200);
}

async function xtabClose(): Promise<{ native: number[]; strata: number[] }> {
  await xtab.strata?.close();
  xtab.native?.close();
  return xtab.got;
}

/** Flatness probe: does per-op cost of encrypted strata stay flat as the store grows? */
async function flat(name: string, n: number, budgetMs: number): Promise<WorkloadResult> {
  return workload(name, n, budgetMs);
}

const api = {
  workload,
  coldStart,
  readyCost,
  dpopCost,
  hotKey,
  xtabOpen,
  xtabSend,
  xtabClose,
  flat,
  wipe,
  contenders: Object.keys(CONTENDERS),
  cold: Object.keys(COLD),
};
declare global {
  interface Window {
    bench: typeof api;
  }
}
window.bench = api;
