import * as oauth from 'oauth4webapi';
import { openDatabase } from '../idb.js';

const DATABASE = 'strata-dpop';
const STORE = 'keys';

/** A stored key pair and the id it was stored under (a new pair, a new id). */
export interface StoredKeyPair extends CryptoKeyPair {
  id: string;
}

/**
 * The DPoP key pair of a namespace: P-256, its private key non-extractable, kept in IndexedDB
 * by structured clone (never through `set()`, never exported). Every tab of the namespace uses
 * the same pair, so tokens bound to it work in all of them.
 */
export class DPoPKeyStore {
  readonly #name: string;

  constructor(namespace: string) {
    this.#name = namespace;
  }

  /** The stored pair; `undefined` when there is none. */
  async load(): Promise<StoredKeyPair | undefined> {
    const db = await open();
    try {
      return valid(await db.get(STORE, this.#name));
    } finally {
      db.close();
    }
  }

  /** The stored pair, generated and stored first when there is none (the first tab wins a race). */
  async loadOrCreate(): Promise<StoredKeyPair> {
    const existing = await this.load();
    if (existing) return existing;
    const generated = await oauth.generateKeyPair('ES256', { extractable: false });
    const pair: StoredKeyPair = {
      privateKey: generated.privateKey,
      publicKey: generated.publicKey,
      id: crypto.randomUUID(),
    };
    const db = await open();
    try {
      const tx = db.transaction(STORE, 'readwrite');
      const stored = valid(await tx.store.get(this.#name));
      if (stored) {
        await tx.done;
        return stored;
      }
      await tx.store.put(pair, this.#name);
      await tx.done;
      return pair;
    } finally {
      db.close();
    }
  }

  /** Destroys the pair: tokens bound to it are useless from now on. */
  async destroy(): Promise<void> {
    const db = await open();
    try {
      await db.delete(STORE, this.#name);
    } finally {
      db.close();
    }
  }
}

function valid(value: unknown): StoredKeyPair | undefined {
  const pair = value as Partial<StoredKeyPair> | undefined;
  return pair?.privateKey && pair.publicKey && typeof pair.id === 'string'
    ? (pair as StoredKeyPair)
    : undefined;
}

function open() {
  return openDatabase(DATABASE, 1, { upgrade: (db) => db.createObjectStore(STORE) });
}
