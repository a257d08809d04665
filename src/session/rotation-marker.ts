import type { IDBPDatabase } from 'idb';
import { bytesToHex } from '../codec/base64.js';
import { openDatabase, readStore } from '../idb.js';

/**
 * Which refresh token is current, recorded in IndexedDB as a SHA-256 hash (never the
 * token). IndexedDB reads are consistent across tabs the moment a write commits, unlike
 * a tab's view of localStorage or a broadcast still in flight; so a tab that takes the
 * refresh lock can tell that another tab rotated the token even before its own copy of
 * the new tokens has arrived, and wait for it instead of spending a used token (which a
 * server with reuse detection answers by revoking the whole session).
 */
export class RotationMarker {
  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  /** The hash of the current refresh token as last recorded; `undefined` when unknown or unavailable. */
  async read(): Promise<string | undefined> {
    try {
      const db = await open();
      try {
        const value: unknown = await readStore(db, MARKERS).get(this.#name);
        return typeof value === 'string' ? value : undefined;
      } finally {
        db.close();
      }
    } catch {
      return undefined;
    }
  }

  /** Records `refreshToken` as current (best effort). */
  async write(refreshToken: string | undefined): Promise<void> {
    try {
      const hash = refreshToken === undefined ? undefined : await hashToken(refreshToken);
      const db = await open();
      try {
        if (hash === undefined) await db.delete(MARKERS, this.#name);
        else await db.put(MARKERS, hash, this.#name);
      } finally {
        db.close();
      }
    } catch {
      // without IndexedDB the storage re-read under the lock is the only guard
    }
  }
}

/** SHA-256 of a token, hex. */
export async function hashToken(token: string): Promise<string> {
  return bytesToHex(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))),
  );
}

const MARKERS = 'markers';

function open(): Promise<IDBPDatabase> {
  return openDatabase('strata-rotation', 1, { upgrade: (db) => db.createObjectStore(MARKERS) });
}
