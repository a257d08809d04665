import type { StorageAdapter } from '../adapters/adapter.js';
import { isStrataError, isTransientError, StrataError, toStorageError } from '../errors.js';
import { RECORD_VERSION, type StoredRecord } from '../record.js';
import type { StoreContext } from '../store-context.js';
import type { ChannelTransportFactory } from '../sync/transport.js';
import { openKeyChannel, type KeyChannel, type KeyEvent } from './key-channel.js';
import type { KeyRing } from './keyring.js';
import { dropTabMeta } from './meta-copies.js';
import { RotationWatch } from './rotation-watch.js';
import {
  destroyNamespaceKey,
  finishPendingRotation,
  rotateNamespaceKey,
  type RotationScope,
} from './rotate.js';
import type { KeySecret } from './secret.js';
import { packRecord, sealContext, unpackRecord, type OpenedRecord } from './sealed-record.js';
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
 * sealing, rotation, shredding, and what other tabs announce of them.
 * Loaded on first use of a key, so an app that never encrypts never downloads it.
 */
export class NamespaceKey {
  readonly #ctx: StoreContext;
  readonly #config: KeyConfig;
  #secret: KeySecret;
  #ring: Promise<KeyRing> | undefined;
  #channel: KeyChannel | undefined;
  readonly #watch: RotationWatch;

  constructor(ctx: StoreContext, config: KeyConfig, secret: KeySecret) {
    this.#ctx = ctx;
    this.#config = config;
    this.#secret = secret;
    this.#watch = new RotationWatch(ctx, () => this.#checkRotation());
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
          (event) => void this.#onKeyEvent(event).catch(() => undefined),
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

  /**
   * Seals a clear record in place: its value and tags go into the ciphertext, its header
   * into the additional data, so neither can be changed or stripped unseen.
   */
  async seal(key: string, record: StoredRecord): Promise<void> {
    const plain = packRecord(record.p, record.g);
    delete record.g;
    record.v = RECORD_VERSION;
    record.x = 1;
    record.p = await (await this.ring()).encrypt(plain, sealContext(key, record));
  }

  /** A sealed copy of a clear record (what the `'secure'` layer stores). */
  async sealedCopy(key: string, record: StoredRecord): Promise<StoredRecord> {
    const copy: StoredRecord = { ...record };
    await this.seal(key, copy);
    return copy;
  }

  /** Decrypts a sealed record, checking its header; a newer key generation checks whether the key rotated. */
  async open(key: string, record: StoredRecord): Promise<OpenedRecord> {
    if (record.v < RECORD_VERSION)
      throw new StrataError(
        'CORRUPT_RECORD',
        'A sealed record of format 1 has no authenticated header; it reads as null.',
        { key },
      );
    try {
      return unpackRecord(
        await (await this.ring()).decrypt(record.p, sealContext(key, record)),
        key,
      );
    } catch (error) {
      if (isStrataError(error, 'KEY_ROTATED')) await this.#checkRotation();
      throw error;
    }
  }

  /** Seals a cross-tab message of this namespace (confidential and authenticated). */
  async sealMessage(text: string, context: string): Promise<string> {
    return (await this.ring()).sealMessage(text, context);
  }

  /** Opens a message {@link sealMessage} sealed; throws `DECRYPT_FAILED` for anything else. */
  async openMessage(sealed: string, context: string): Promise<string> {
    const ring = await this.ring();
    // A message of a newer generation may be the first sign of a rotation: the metadata says.
    if (!ring.stale && /^\d+:/.test(sealed) && parseInt(sealed, 10) > ring.generation)
      await this.#watch.hinted(false); // failing with KEY_ROTATED, the message itself tells it
    return ring.openMessage(sealed, context);
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
    this.#watch.close();
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

  /**
   * Another tab says it rotated or destroyed the key. Any page script can post that, so the
   * key metadata decides: only a rotation or a shredding it shows changes what this tab does.
   */
  async #onKeyEvent(event: KeyEvent): Promise<void> {
    this.#ctx.cache.invalidateAll();
    if (event.phase !== 'destroyed') return this.#watch.hinted(); // told, whatever comes first
    const layers = await this.#config.metaLayers();
    const shared = layers.filter((layer) => layer.shared); // per-tab copies are dropped below
    // Metadata still there, or unreadable (corrupt, storage failing): not shown to be shredded.
    if (shared.length > 0 && (await readMeta(shared).then(Boolean, () => true))) return;
    this.#drop();
    await dropTabMeta(layers);
  }

  /** What the metadata shows: the generation this ring is newly behind, or `'behind'` already. */
  async #checkRotation(): Promise<number | 'behind' | undefined> {
    const ring = await this.#ring?.catch(() => undefined);
    if (!ring) return undefined;
    const meta = await readMeta(await this.#config.metaLayers()).catch(() => undefined);
    const gen = Math.max(meta?.gen ?? 1, meta?.next?.gen ?? 0);
    if (ring.markStale(gen)) return gen;
    return ring.stale ? 'behind' : undefined;
  }

  #drop(): void {
    this.#ring = undefined;
    this.#ctx.cache.invalidateAll();
  }
}
