import type { StorageAdapter } from '../adapters/adapter.js';
import type { StoreContext } from '../store-context.js';
import type { ChannelTransportFactory } from '../sync/transport.js';
import { metaLayersOf } from './meta-copies.js';
import type { NamespaceKey } from './namespace-key.js';
import type { KeySecret } from './secret.js';

/** Loads the namespace key's code on first use: an app that never encrypts never downloads it. */
export class KeyLoader {
  readonly #ctx: StoreContext;
  readonly #namespace: string;
  readonly #fallback: ChannelTransportFactory | undefined;
  readonly #secret: KeySecret;
  readonly #isClosed: () => boolean;
  #key: Promise<NamespaceKey> | undefined;
  #metaLayers: Promise<StorageAdapter[]> | undefined;

  constructor(
    ctx: StoreContext,
    options: {
      namespace: string;
      fallback: ChannelTransportFactory | undefined;
      secret: KeySecret;
      isClosed: () => boolean;
    },
  ) {
    this.#ctx = ctx;
    this.#namespace = options.namespace;
    this.#fallback = options.fallback;
    this.#secret = options.secret;
    this.#isClosed = options.isClosed;
  }

  /** The namespace key (its secret as configured; rotations change it inside). */
  load(): Promise<NamespaceKey> {
    if (this.#key) return this.#key;
    const config = {
      namespace: this.#namespace,
      fallback: this.#fallback,
      metaLayers: () => this.metaLayers(),
      isClosed: this.#isClosed,
    };
    const pending = import('./namespace-key.js').then(
      ({ NamespaceKey }) => new NamespaceKey(this.#ctx, config, this.#secret),
    );
    this.#key = pending;
    pending.catch(() => {
      if (this.#key === pending) this.#key = undefined; // a chunk that failed to load is retried
    });
    return pending;
  }

  /** The key when its code is loaded and a key is held or being set up. */
  async held(): Promise<NamespaceKey | undefined> {
    const key = await this.#key?.catch(() => undefined);
    return key?.held ? key : undefined;
  }

  /** The layers that keep the key metadata, chosen once per start-up. */
  metaLayers(): Promise<StorageAdapter[]> {
    return (this.#metaLayers ??= metaLayersOf(this.#ctx.chain));
  }

  /** Forgets the key and its layers (a failed start-up). */
  async reset(): Promise<void> {
    this.#metaLayers = undefined;
    (await this.#key?.catch(() => undefined))?.reset();
  }

  async close(): Promise<void> {
    await (await this.#key?.catch(() => undefined))?.close();
  }
}
