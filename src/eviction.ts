import type { StorageAdapter } from './adapters/adapter.js';
import type { StorageKind, StrataStatus } from './types.js';

/** Metadata entry a persistent layer keeps once it held data of the namespace. */
const HELD = 'held';
/** A cookie outlives storage-pressure eviction of the storage areas; 400 days is the most browsers keep. */
const COOKIE_MAX_AGE = 400 * 24 * 3600;

/**
 * Tells eviction from a first visit. A persistent layer that takes data is marked twice: a
 * metadata entry in the layer and the layer's kind in a first-party cookie. When the browser
 * deletes the storage areas (storage pressure, Safari's 7-day cap on script-writable storage)
 * the entry goes and the cookie stays; the next start-up finds the cookie without the entry.
 * Script-set cookies are capped at 7 days in Safari too, so an absence longer than that looks
 * like a first visit there.
 */
export class EvictionWatch {
  readonly #cookie: string;
  readonly #marked = new Set<StorageKind>();

  constructor(namespace: string) {
    this.#cookie = `strata-held-${encodeURIComponent(namespace)}`;
  }

  /** The persistent layers that held data in this browser and lost it since. */
  async lost(layers: readonly StorageAdapter[]): Promise<StorageKind[]> {
    const held = this.#heldKinds();
    const lost: StorageKind[] = [];
    for (const layer of layers) {
      if (!layer.shared || !held.includes(layer.kind)) continue;
      const mark = await layer.readMeta(HELD).catch(() => HELD); // unreadable: not known lost
      if (mark === undefined) lost.push(layer.kind);
      else this.#marked.add(layer.kind);
    }
    return lost;
  }

  /** Marks a persistent layer that took a write; `undefined` when it is marked already (the hot path). */
  held(layer: StorageAdapter): Promise<void> | undefined {
    if (!layer.shared || this.#marked.has(layer.kind)) return undefined;
    this.#marked.add(layer.kind);
    const kinds = this.#heldKinds();
    if (!kinds.includes(layer.kind)) this.#write([...kinds, layer.kind].join('.'), COOKIE_MAX_AGE);
    return layer.writeMeta(HELD, '1');
  }

  /** The namespace was cleared on purpose: what is gone now is not eviction. */
  async forget(layers: readonly StorageAdapter[]): Promise<void> {
    this.#marked.clear();
    this.#write('', 0);
    await Promise.all(layers.map((layer) => layer.deleteMeta(HELD).catch(() => undefined)));
  }

  #heldKinds(): StorageKind[] {
    if (typeof document === 'undefined') return [];
    const prefix = `${this.#cookie}=`;
    const found = document.cookie.split('; ').find((entry) => entry.startsWith(prefix));
    return found ? (found.slice(prefix.length).split('.') as StorageKind[]) : [];
  }

  #write(value: string, maxAge: number): void {
    if (typeof document === 'undefined') return;
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${this.#cookie}=${value}; max-age=${maxAge}; path=/; SameSite=Strict${secure}`;
  }
}

/** Asks the browser to keep this origin's storage (`navigator.storage.persist()`), without waiting: Firefox asks the user, who may never answer. */
export function askToPersist(answer: (persistence: StrataStatus['persistence']) => void): void {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.persist !== 'function') {
    answer('unsupported');
    return;
  }
  answer('pending');
  navigator.storage.persist().then(
    (granted) => answer(granted ? 'granted' : 'denied'),
    () => answer('denied'),
  );
}
