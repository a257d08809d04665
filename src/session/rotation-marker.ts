import type { IDBPDatabase } from 'idb';
import { bytesToHex } from '../codec/base64.js';
import { openDatabase, readStore } from '../idb.js';

/**
 * Which refresh token is current, recorded in IndexedDB as `<counter>.<mac>`: a counter every
 * write raises, and an HMAC-SHA-256 of counter and token under a non-extractable key kept by
 * structured clone (never the token, nor a digest anyone could compute from one). IndexedDB
 * reads are consistent across tabs the moment a write commits, unlike a tab's view of
 * localStorage or a broadcast still in flight; so a tab that takes the refresh lock can tell that
 * another tab rotated the token even before its own copy of the new tokens has arrived, and wait
 * for it instead of spending a used token (which a server with reuse detection answers by
 * revoking the whole session).
 *
 * The marker is a reason to wait or to drop a result, never to spend a token: a value older than
 * one this instance has seen (an old marker written back, or the marker deleted) is ignored and
 * the newer one kept; a value the stored key does not verify matches no token.
 */
export class RotationMarker {
  readonly #name: string;
  readonly #now: () => number;
  /** The newest marker this tab has read or written: an older one read later is a rollback. */
  #latest: string | undefined;

  /** `now`: counters start from it, so a database created again goes on above the old ones. */
  constructor(name: string, now: () => number) {
    this.#name = name;
    this.#now = now;
  }

  /**
   * Deletes the marker and key of `name` and any marker an older release left unkeyed (best
   * effort): for a namespace that keeps nothing of its refresh token at rest.
   */
  static async discard(name: string): Promise<void> {
    await withDatabase(async (db) => {
      await Promise.all([db.delete(MARKERS, name), db.delete(KEYS, name)]);
    }).catch(() => undefined); // no IndexedDB: nothing was recorded there either
  }

  /**
   * The current marker: the newest of the stored one and the last one seen here; `undefined`
   * when none is known.
   */
  async read(): Promise<string | undefined> {
    const stored = parse(
      await withDatabase((db) => readStore(db, MARKERS).get(this.#name)).catch(() => undefined),
    );
    const latest = this.#latest;
    if (latest && (!stored || counterOf(stored) < counterOf(latest))) return latest;
    return (this.#latest = stored);
  }

  /** Records `refreshToken` as current (`undefined`: signed out), best effort. */
  async write(refreshToken: string | undefined): Promise<void> {
    await withDatabase(async (db) => {
      const key = await keyOf(db, this.#name);
      const stored = parse(await db.get(MARKERS, this.#name));
      // Above every counter seen, so no tab takes the new marker for a rollback.
      const counter = Math.max(counterOf(stored), counterOf(this.#latest), this.#now() - 1) + 1;
      const value = `${counter}.${await mac(key, counter, refreshToken)}`;
      await db.put(MARKERS, value, this.#name);
      this.#latest = value;
    }).catch(() => undefined); // without IndexedDB the storage re-read under the lock is the only guard
  }

  /** Whether `marker` records a sign-out (verified by the stored key). */
  async recordsSignOut(marker: string | undefined): Promise<boolean> {
    if (!marker) return false;
    const key: unknown = await withDatabase((db) => readStore(db, KEYS).get(this.#name)).catch(
      () => undefined,
    );
    if (!isMarkerKey(key)) return false;
    return marker.slice(marker.indexOf('.') + 1) === (await mac(key, counterOf(marker), undefined));
  }

  /**
   * Whether `marker` records `refreshToken` as current: true without a marker, without a token
   * and after a sign-out; false for a marker the stored key does not verify.
   */
  async matches(refreshToken: string | undefined, marker: string | undefined): Promise<boolean> {
    if (!marker || !refreshToken) return true;
    const key: unknown = await withDatabase((db) => readStore(db, KEYS).get(this.#name)).catch(
      () => undefined,
    );
    if (!isMarkerKey(key)) return false;
    const counter = counterOf(marker);
    const recorded = marker.slice(marker.indexOf('.') + 1);
    return (
      recorded === (await mac(key, counter, undefined)) ||
      recorded === (await mac(key, counter, refreshToken))
    );
  }
}

const MARKERS = 'markers';
const KEYS = 'keys';

/** The stored key, generated and stored first when there is none (the first tab wins a race). */
async function keyOf(db: IDBPDatabase, name: string): Promise<CryptoKey> {
  const existing: unknown = await db.get(KEYS, name);
  if (isMarkerKey(existing)) return existing;
  const fresh = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const tx = db.transaction(KEYS, 'readwrite');
  const raced: unknown = await tx.store.get(name);
  if (!isMarkerKey(raced)) await tx.store.put(fresh, name);
  await tx.done;
  return isMarkerKey(raced) ? raced : fresh;
}

/** HMAC-SHA-256 of the counter and the token (none: signed out), hex. */
async function mac(key: CryptoKey, counter: number, token: string | undefined): Promise<string> {
  const data = new TextEncoder().encode(`${counter}\n${token ?? ''}`);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, data)));
}

/** Only a non-extractable HMAC key counts: a planted extractable one is replaced. */
function isMarkerKey(value: unknown): value is CryptoKey {
  return value instanceof CryptoKey && value.algorithm.name === 'HMAC' && !value.extractable;
}

function parse(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{1,16}\.[0-9a-f]{64}$/.test(value) ? value : undefined;
}

const counterOf = (marker: string | undefined): number => (marker ? parseInt(marker, 10) : 0);

async function withDatabase<T>(work: (db: IDBPDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase('strata-rotation', 2, {
    upgrade: (db) => {
      // Version 1 kept an unkeyed SHA-256 of each refresh token: dropped, not converted.
      if (db.objectStoreNames.contains(MARKERS)) db.deleteObjectStore(MARKERS);
      db.createObjectStore(MARKERS);
      db.createObjectStore(KEYS);
    },
  });
  try {
    return await work(db);
  } finally {
    db.close();
  }
}
