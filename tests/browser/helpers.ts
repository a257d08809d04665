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

/** Timers and a clock a test drives by hand: nothing runs until `fire` or `advance`. */
export interface HandTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** The delay of every timeout set so far, in order, run or not. */
  readonly delays: number[];
  /** Runs every pending callback once (a timeout is then gone, an interval stays). */
  fire(): void;
  /** Moves the clock by `ms` and runs the timeouts that came due, in order. */
  advance(ms: number): void;
  /** How many timeouts and intervals are pending. */
  active(): number;
}

/** {@link HandTimers} whose clock starts at `start`. */
export function handTimers(start = Date.now()): HandTimers {
  const pending = new Map<number, { callback: () => void; at: number; every?: number }>();
  const delays: number[] = [];
  let time = start;
  let next = 1;
  const add = (callback: () => void, ms: number, every?: number): number => {
    pending.set(
      next,
      every === undefined ? { callback, at: time + ms } : { callback, at: time + ms, every },
    );
    return next++;
  };
  const clear = (handle: unknown): void => void pending.delete(handle as number);
  return {
    delays,
    now: () => time,
    setTimeout: (callback, ms) => (delays.push(ms), add(callback, ms)),
    clearTimeout: clear,
    setInterval: (callback, ms) => add(callback, ms, ms),
    clearInterval: clear,
    fire: () => {
      for (const [handle, timer] of [...pending]) {
        if (timer.every === undefined) pending.delete(handle);
        timer.callback();
      }
    },
    advance: (ms) => {
      const until = time + ms;
      for (;;) {
        const due = [...pending]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        const [handle, timer] = due;
        time = Math.max(time, timer.at);
        if (timer.every === undefined) pending.delete(handle);
        else timer.at += timer.every;
        timer.callback();
      }
      time = until;
    },
    active: () => pending.size,
  };
}

/** A promise with its resolve function, for a test to wait on a signal from code it drives. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
