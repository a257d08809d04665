import type { StorageAdapter } from '../adapters/adapter.js';
import { isStrataError, isTransientError, StrataError, toStorageError } from '../errors.js';
import type { StoredRecord } from '../record.js';
import type { StoreContext } from '../store-context.js';
import type { ChannelTransportFactory } from '../sync/transport.js';
import { openKeyChannel, type KeyChannel, type KeyEvent } from './key-channel.js';
import type { KeyRing } from './keyring.js';
import { dropTabMeta } from './meta-copies.js';
import {
  destroyNamespaceKey,
  finishPendingRotation,
  rotateNamespaceKey,
  type RotationScope,
} from './rotate.js';
import type { KeySecret } from './secret.js';
import { readMeta, setupKeyRing } from './setup.js';

/** What the namespace key needs beside the instance's context. */
export interface KeyConfig {
  readonly namespace: string;
  readonly fallback: ChannelTransportFactory | undefined;
  /** The layers that keep the key metadata. */
  metaLayers(): Promise<StorageAdapter[]>;
  isClosed(): boolean;
}

/**
 * The key lifecycle of one namespace: set-up (derived or loaded once, never per write),
 * sealing and tag hashing, rotation, shredding, and what other tabs announce of them.
 * Loaded on first use of a key, so an app that never encrypts never downloads it.
 */
export class NamespaceKey {
  readonly #ctx: StoreContext;
  readonly #config: KeyConfig;
  #secret: KeySecret;
  #ring: Promise<KeyRing> | undefined;
  #channel: KeyChannel | undefined;

  constructor(ctx: StoreContext, config: KeyConfig, secret: KeySecret) {
    this.#ctx = ctx;
    this.#config = config;
    this.#secret = secret;
  }

  /** Whether a key is held or being set up (tags may then be hashed). */
  get held(): boolean {
    return this.#ring !== undefined;
  }

  /** The key ring, set up on first use; a failure that may pass is retried on the next use. */
  ring(): Promise<KeyRing> {
    if (this.#ring) return this.#ring;
    const ctx = this.#ctx;
    const config = this.#config;
    const pending = (async () => {
      const ring = await setupKeyRing(
        config.namespace,
        this.#secret,
        await config.metaLayers(),
        ctx.report,
        ctx.chain.adapters,
      );
      if (!this.#channel) {
        const channel = await openKeyChannel(
          config.namespace,
          ctx.clock.id,
          (event) => this.#onKeyEvent(event),
          config.fallback,
        );
        if (config.isClosed() || this.#channel) channel?.close();
        else this.#channel = channel;
      }
      if (config.isClosed()) throw new StrataError('CLOSED', 'This Strata instance is closed.');
      await finishPendingRotation(await this.#scope(ring)).catch((error: unknown) =>
        ctx.report(toStorageError(error, 'Finishing a pending key rotation')),
      );
      return ring;
    })();
    this.#ring = pending;
    pending.catch((error: unknown) => {
      if (isTransientError(error) && this.#ring === pending) this.#ring = undefined;
    });
    return pending;
  }

  /** Encrypts a record's payload in place. */
  async seal(key: string, record: StoredRecord): Promise<void> {
    record.p = await (await this.ring()).encrypt(record.p, key);
    record.x = 1;
  }

  /** A sealed copy of a clear record, its tags hashed (what the `'secure'` layer stores). */
  async sealedCopy(key: string, record: StoredRecord): Promise<StoredRecord> {
    const copy: StoredRecord = { ...record };
    if (record.g) copy.g = await this.hashTags(record.g);
    await this.seal(key, copy);
    return copy;
  }

  /** Decrypts a payload; a record of a newer key generation checks whether the key rotated. */
  async decrypt(key: string, sealed: string): Promise<string> {
    try {
      return await (await this.ring()).decrypt(sealed, key);
    } catch (error) {
      if (isStrataError(error, 'KEY_ROTATED')) await this.#checkRotation();
      throw error;
    }
  }

  /** Keyed hashes of tags: what encrypted records store instead of the tag text. */
  async hashTags(tags: readonly string[]): Promise<string[]> {
    const ring = await this.ring();
    return Promise.all(tags.map((tag) => ring.tagHash(tag)));
  }

  /** Re-keys the namespace to `target` (see `Strata.rotateKey`). */
  async rotate(target: KeySecret): Promise<void> {
    const ring = await this.ring();
    await rotateNamespaceKey(await this.#scope(ring), target);
    this.#secret = target;
  }

  /** Crypto-shredding: destroys the key and its metadata, and tells the other tabs. */
  async destroy(): Promise<void> {
    await destroyNamespaceKey(this.#config.namespace, await this.#config.metaLayers());
    this.#drop();
    this.#channel?.post({ phase: 'destroyed', gen: 0 });
  }

  /** Forgets the key and the channel (a failed start-up, or close). */
  reset(): void {
    this.#ring = undefined;
    this.#channel?.close();
    this.#channel = undefined;
  }

  /** Waits for a set-up in flight, then closes the channel. */
  async close(): Promise<void> {
    await this.#ring?.catch(() => undefined);
    this.#channel?.close();
  }

  async #scope(ring: KeyRing): Promise<RotationScope> {
    return {
      namespace: this.#config.namespace,
      metaLayers: await this.#config.metaLayers(),
      dataLayers: this.#ctx.chain.adapters,
      ring,
      secret: this.#secret,
      report: this.#ctx.report,
      announce: (event) => this.#channel?.post(event),
    };
  }

  /** Another tab rotated or destroyed the key: stop writing with ours, forget cached records. */
  #onKeyEvent(event: KeyEvent): void {
    this.#ctx.cache.invalidateAll();
    if (event.phase === 'destroyed') {
      this.#drop();
      void this.#config.metaLayers().then(dropTabMeta);
      return;
    }
    this.#ring?.then(
      (ring) => ring.markStale(event.gen),
      () => undefined,
    );
  }

  /** A record of a newer generation was met, perhaps before the announcement: check the metadata. */
  async #checkRotation(): Promise<void> {
    const ring = await this.#ring?.catch(() => undefined);
    if (!ring) return;
    const meta = await readMeta(await this.#config.metaLayers()).catch(() => undefined);
    ring.markStale(Math.max(meta?.gen ?? 1, meta?.next?.gen ?? 0));
  }

  #drop(): void {
    this.#ring = undefined;
    this.#ctx.cache.invalidateAll();
  }
}
