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
 * the same pair, so tokens bound to it work in all of them. {@link cached} keeps this tab's
 * handle to it in memory, dropped when any tab destroys the pair.
 */
export class DPoPKeyStore {
  readonly #name: string;

  constructor(namespace: string) {
    this.#name = namespace;
  }

  /**
   * The pair held in memory, else the stored one (then held). Without a native
   * `BroadcastChannel` no tab could say it destroyed the pair: every call reads storage.
   */
  async cached(): Promise<StoredKeyPair | undefined> {
    const held = memory.get(this.#name);
    if (held) return held;
    if (!listening()) return this.load();
    const before = destroyed;
    const stored = await this.load();
    // A destruction meanwhile, here or in another tab, wins over what was read before it.
    if (stored && destroyed === before) memory.set(this.#name, stored);
    return stored;
  }

  /** The stored pair; `undefined` when there is none. A held handle to another pair is dropped. */
  async load(): Promise<StoredKeyPair | undefined> {
    const db = await open();
    try {
      const stored = valid(await db.get(STORE, this.#name));
      // A destruction this tab missed (it slept in the back/forward cache): storage wins.
      const held = memory.get(this.#name);
      if (held && held.id !== stored?.id) forget(this.#name);
      return stored;
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

  /** Destroys the pair: tokens bound to it are useless from now on, in every tab. */
  async destroy(): Promise<void> {
    forget(this.#name);
    announce(this.#name); // before the delete too: other tabs stop signing with it at once
    const db = await open();
    try {
      await db.delete(STORE, this.#name);
    } finally {
      db.close();
      forget(this.#name);
      announce(this.#name);
    }
  }
}

/** This tab's handles to the stored pairs, by namespace. */
const memory = new Map<string, StoredKeyPair>();
/** Destructions heard (any namespace): a read begun before one is not held. */
let destroyed = 0;
let channel: BroadcastChannel | null | undefined;

function forget(name: string): void {
  memory.delete(name);
  destroyed++;
}

/** Tells the other tabs that the pair of `name` is destroyed. */
function announce(name: string): void {
  if (listening()) channel?.postMessage({ destroyed: name });
}

/** Whether this tab hears other tabs' destructions (opens the channel on first use). */
function listening(): boolean {
  if (channel === undefined) {
    channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(DATABASE) : null;
    channel?.addEventListener('message', (event: MessageEvent<{ destroyed?: unknown }>) => {
      if (typeof event.data?.destroyed === 'string') forget(event.data.destroyed);
    });
    // A page restored from the back/forward cache heard no messages while it slept.
    globalThis.addEventListener?.('pageshow', (event: PageTransitionEvent) => {
      if (event.persisted) memory.clear();
    });
  }
  return channel !== null;
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
