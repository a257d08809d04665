import type { StorageAdapter } from './adapters/adapter.js';
import { isQuotaError, StrataError, toStorageError, type StrataErrorCode } from './errors.js';
import { isFutureRecord, RECORD_VERSION, type StoredRecord } from './record.js';
import { isExpired } from './ttl.js';
import type { StorageKind } from './types.js';

/** A layer of the chain: its position (reads look through them in order) and its kind. */
export interface LayerRef {
  readonly index: number;
  readonly kind: StorageKind;
}

/** Builds the adapter of a storage kind for a namespace. */
export type AdapterFactory = (kind: StorageKind) => Promise<StorageAdapter>;

/** What the chain tells its owner. */
export interface ChainHooks {
  report(error: StrataError): void;
  /** A write did not fit the first layer and went to `to`. */
  fallback(key: string, from: StorageKind, to: StorageKind, reason: StrataError): void;
}

/** How a layer is doing: whether its last use failed, and whether it may hold data. */
export interface LayerStatus {
  kind: StorageKind;
  /** False after a write, read or probe here failed, until a write here succeeds again. */
  healthy: boolean;
  /** The code of the failure that made it unhealthy. */
  problem?: StrataErrorCode;
  /** Whether it may hold items of this namespace. */
  holdsData: boolean;
}

/** A record found by {@link LayerChain.find}, and where. */
export interface FoundRecord {
  record: StoredRecord;
  layer: LayerRef;
}

/**
 * The storage layers of one instance, in order: probed once, read through in order, written
 * to the first that accepts (a full or broken layer hands over to the next), and deleted
 * from everywhere. Tracks which layers may hold data, so most calls touch one layer only.
 */
export class LayerChain {
  readonly #create: AdapterFactory;
  readonly #hooks: ChainHooks;
  #layers: StorageAdapter[] = [];
  #occupied: boolean[] = [];
  #refs: LayerRef[] = [];
  /** Why a layer is unhealthy: its last failure, cleared by a successful write. */
  #problems: Array<StrataError | undefined> = [];

  constructor(create: AdapterFactory, hooks: ChainHooks) {
    this.#create = create;
    this.#hooks = hooks;
  }

  /** Probes each kind with real operations and keeps those available, in order. */
  async open(kinds: readonly StorageKind[]): Promise<void> {
    for (const kind of kinds) {
      const adapter = await this.#create(kind);
      let why = '';
      const available = await adapter.isAvailable().catch((error: unknown) => {
        why = error instanceof Error ? ` (${error.message})` : '';
        return false;
      });
      if (available) this.#layers.push(adapter);
      else
        this.#hooks.report(
          new StrataError(
            'STORAGE_UNAVAILABLE',
            `${kind} is not available here${why}; trying the next layer.`,
          ),
        );
    }
    this.#occupied = await Promise.all(
      this.#layers.map(
        async (layer, index) =>
          index === 0 ||
          layer.allKeys().then(
            (keys) => keys.length > 0,
            () => true,
          ),
      ),
    );
  }

  /** Forgets the layers (a failed start-up) and closes them. */
  async reset(): Promise<void> {
    const layers = this.#layers;
    this.#layers = [];
    this.#refs = [];
    this.#occupied = [];
    this.#problems = [];
    await Promise.all(layers.map((layer) => layer.close().catch(() => undefined)));
  }

  /** The adapters, in read order. */
  get adapters(): readonly StorageAdapter[] {
    return this.#layers;
  }

  /** Builds an adapter outside the chain (key metadata may need a layer the chain lacks). */
  create(kind: StorageKind): Promise<StorageAdapter> {
    return this.#create(kind);
  }

  /** Where the next write is expected to land: the first healthy layer (the last one when none is). */
  current(): LayerRef | undefined {
    if (this.#layers.length === 0) return undefined;
    const index = this.#layers.findIndex((_, i) => this.#problems[i] === undefined);
    return this.ref(index >= 0 ? index : this.#layers.length - 1);
  }

  /** Each layer's health, in read order. */
  status(): LayerStatus[] {
    return this.#layers.map((layer, index) => {
      const problem = this.#problems[index];
      const status: LayerStatus = {
        kind: layer.kind,
        healthy: problem === undefined,
        holdsData: this.#occupied[index] === true,
      };
      if (problem) status.problem = problem.code;
      return status;
    });
  }

  ref(index: number): LayerRef {
    const layer = this.#layers[index];
    if (!layer) return { index, kind: 'memory' };
    return (this.#refs[index] ??= { index, kind: layer.kind }); // one per layer: reads and writes allocate none
  }

  at(layer: LayerRef): StorageAdapter {
    return this.#layers[layer.index] as StorageAdapter;
  }

  /** Whether a layer may hold data. */
  occupied(index: number): boolean {
    return this.#occupied[index] === true;
  }

  markOccupied(index: number): void {
    this.#occupied[index] = true;
  }

  readAt = (layer: LayerRef, key: string): Promise<StoredRecord | undefined> =>
    this.at(layer).read(key);

  /** The record of `key` in the first layer holding one that `skip` does not reject. */
  async find(
    key: string,
    skip: (record: StoredRecord) => boolean,
  ): Promise<FoundRecord | undefined> {
    for (let index = 0; index < this.#layers.length; index++) {
      if (!this.#occupied[index]) continue;
      const layer = this.#layers[index] as StorageAdapter;
      let record: StoredRecord | undefined;
      try {
        record = await layer.read(key);
      } catch (error) {
        this.#hooks.report(
          (this.#problems[index] = toStorageError(error, `Reading from ${layer.kind}`, key)),
        );
        continue;
      }
      if (record === undefined || skip(record)) continue;
      if (isFutureRecord(record)) {
        this.#hooks.report(
          new StrataError(
            'UNSUPPORTED_VERSION',
            `Record format ${record.v} is newer than this build reads (${RECORD_VERSION}); it reads as null, left in place.`,
            { key },
          ),
        );
        return undefined;
      }
      return { record, layer: this.ref(index) };
    }
    return undefined;
  }

  /**
   * Writes to the first layer that accepts the record (`prepare` may rewrite it for a
   * layer); a full or unavailable layer passes it on (reported as a fallback). Copies in
   * other layers are removed, so an old value is never shadowed or resurrected.
   */
  async write(
    key: string,
    record: StoredRecord,
    prepare: (
      layer: StorageAdapter,
      record: StoredRecord,
      key: string,
    ) => StoredRecord | Promise<StoredRecord>,
  ): Promise<LayerRef> {
    let failure: StrataError | undefined;
    for (let index = 0; index < this.#layers.length; index++) {
      const layer = this.#layers[index] as StorageAdapter;
      const prepared = prepare(layer, record, key);
      // Awaited only when it is a promise: most writes need no rewrite, and a set is a hot path.
      const stored = prepared instanceof Promise ? await prepared : prepared;
      try {
        await layer.write(key, stored);
      } catch (error) {
        const reason = toStorageError(error, `Writing to ${layer.kind}`, key);
        if (reason.code !== 'QUOTA_EXCEEDED' && reason.code !== 'STORAGE_UNAVAILABLE') throw reason;
        failure ??= reason;
        this.#problems[index] = reason;
        continue;
      }
      this.#occupied[index] = true;
      this.#problems[index] = undefined;
      if (failure) this.#hooks.fallback(key, this.ref(0).kind, layer.kind, failure);
      // Stale copies can only sit in other layers that hold data (usually none: no await).
      if (this.#occupied.some((held, i) => held && i !== index)) await this.#dropCopies(key, index);
      return this.ref(index);
    }
    throw (
      failure ??
      new StrataError('STORAGE_UNAVAILABLE', 'No storage layer accepted the write.', { key })
    );
  }

  /** Deletes `key` from the layers that may hold data other than `kept`. */
  async #dropCopies(key: string, kept: number): Promise<void> {
    await Promise.all(
      this.#layers.map((other, i) =>
        i === kept || !this.#occupied[i]
          ? undefined
          : other
              .delete(key)
              .catch((e: unknown) =>
                this.#hooks.report(
                  toStorageError(e, `Removing a stale copy from ${other.kind}`, key),
                ),
              ),
      ),
    );
  }

  /** Runs `work` on each layer that may hold data (every layer with `all`); a failing layer is reported and skipped. */
  async each(work: (layer: StorageAdapter) => Promise<void>, all = false): Promise<void> {
    await Promise.all(
      this.#layers.map(async (layer, index) => {
        if (!all && !this.#occupied[index]) return;
        try {
          await work(layer);
        } catch (error) {
          if (isQuotaError(error)) throw error;
          this.#hooks.report(
            (this.#problems[index] = toStorageError(error, `Using ${layer.kind}`)),
          );
        }
      }),
    );
  }

  /**
   * Deletes `keys` from every layer: only those expired at `now` with `onlyExpired`; with
   * `range`, one range delete of that prefix where a layer has one (it may take keys written
   * since they were listed). Returns the keys removed and whether a range delete ran.
   */
  async delete(
    keys: readonly string[],
    options: {
      onlyExpired: boolean;
      range: string | undefined;
      now: number;
      expired?: (key: string, record: StoredRecord) => boolean;
    },
  ): Promise<{ removed: Set<string>; ranged: boolean }> {
    const { onlyExpired, range, now, expired = (_, record) => isExpired(record, now) } = options;
    const removed = new Set<string>();
    let ranged = false;
    await this.each(async (layer) => {
      if (range !== undefined && !onlyExpired && layer.deleteRange) {
        await layer.deleteRange(range);
        ranged = true;
        for (const key of keys) removed.add(key);
        return;
      }
      await Promise.all(
        keys.map(async (key) => {
          if (onlyExpired) {
            const record = await layer.read(key).catch(() => undefined);
            if (!record || !expired(key, record) || isFutureRecord(record)) return;
          }
          await layer.delete(key);
          removed.add(key);
        }),
      );
    }, true);
    return { removed, ranged };
  }

  async close(): Promise<void> {
    await Promise.all(this.#layers.map((layer) => layer.close()));
  }
}
