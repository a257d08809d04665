import * as oauth from 'oauth4webapi';
import { openDatabase } from '../idb.js';

const DATABASE = 'strata-dpop';
const STORE = 'keys';

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
  async load(): Promise<CryptoKeyPair | undefined> {
    const db = await open();
    try {
      const pair = (await db.get(STORE, this.#name)) as CryptoKeyPair | undefined;
      return pair?.privateKey && pair.publicKey ? pair : undefined;
    } finally {
      db.close();
    }
  }

  /** The stored pair, generated and stored first when there is none (the first tab wins a race). */
  async loadOrCreate(): Promise<CryptoKeyPair> {
    const existing = await this.load();
    if (existing) return existing;
    const pair = await oauth.generateKeyPair('ES256', { extractable: false });
    const db = await open();
    try {
      const tx = db.transaction(STORE, 'readwrite');
      const stored = (await tx.store.get(this.#name)) as CryptoKeyPair | undefined;
      if (stored) {
        await tx.done;
        return stored;
      }
      await tx.store.put({ privateKey: pair.privateKey, publicKey: pair.publicKey }, this.#name);
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

function open() {
  return openDatabase(DATABASE, 1, { upgrade: (db) => db.createObjectStore(STORE) });
}
